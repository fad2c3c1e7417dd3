from enum import StrEnum


class OrganizationsAvailabilityRetrieveKind(StrEnum):
    ON_DEMAND = "on_demand"
    RESERVED = "reserved"

    def __str__(self) -> str:
        return str(self.value)
