from enum import StrEnum


class EmailDomainStatusEnum(StrEnum):
    FAILED = "failed"
    PENDING = "pending"
    VERIFIED = "verified"

    def __str__(self) -> str:
        return str(self.value)
