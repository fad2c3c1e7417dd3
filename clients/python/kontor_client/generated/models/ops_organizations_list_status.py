from enum import StrEnum


class OpsOrganizationsListStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    PENDING_APPROVAL = "pending_approval"
    PENDING_VERIFICATION = "pending_verification"
    PROVISIONING = "provisioning"
    REJECTED = "rejected"
    SUSPENDED = "suspended"

    def __str__(self) -> str:
        return str(self.value)
