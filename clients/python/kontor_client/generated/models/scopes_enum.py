from enum import StrEnum


class ScopesEnum(StrEnum):
    AUDITREAD = "audit:read"
    BILLINGREAD = "billing:read"
    BILLINGWRITE = "billing:write"
    CATALOGREAD = "catalog:read"
    CLOUDREAD = "cloud:read"
    CLOUDWRITE = "cloud:write"
    IDENTITYREAD = "identity:read"
    IDENTITYWRITE = "identity:write"
    MEMBERSMANAGE = "members:manage"
    MEMBERSREAD = "members:read"
    ORGANIZATIONREAD = "organization:read"
    RESERVATIONSREAD = "reservations:read"
    RESERVATIONSWRITE = "reservations:write"
    WEBHOOKSREAD = "webhooks:read"
    WEBHOOKSWRITE = "webhooks:write"

    def __str__(self) -> str:
        return str(self.value)
