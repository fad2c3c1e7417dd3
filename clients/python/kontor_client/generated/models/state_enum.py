from enum import StrEnum


class StateEnum(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    ENDED = "ended"
    ENDING = "ending"
    EXPIRED = "expired"
    FAILED = "failed"
    PROVISIONING = "provisioning"
    REQUESTED = "requested"
    SCHEDULED = "scheduled"

    def __str__(self) -> str:
        return str(self.value)
