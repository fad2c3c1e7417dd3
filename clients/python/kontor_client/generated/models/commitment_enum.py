from enum import StrEnum


class CommitmentEnum(StrEnum):
    ON_DEMAND = "on_demand"
    RESERVED_12M = "reserved_12m"
    RESERVED_1M = "reserved_1m"

    def __str__(self) -> str:
        return str(self.value)
