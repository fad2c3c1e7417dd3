from enum import StrEnum


class QuotaRequestDataStatus(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
