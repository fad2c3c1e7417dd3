from enum import StrEnum


class CapacityListKind(StrEnum):
    ON_DEMAND = "on_demand"
    RESERVED = "reserved"

    def __str__(self) -> str:
        return str(self.value)
