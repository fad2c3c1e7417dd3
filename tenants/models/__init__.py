"""The tenancy core's models, one module per concern."""

from tenants.models.access import ApiKey, Invitation
from tenants.models.audit import AuditEvent, AuditRedaction
from tenants.models.core import Membership, Organization, User, UserManager
from tenants.models.email import OutgoingEmail, OutgoingEmailAttachment, OutgoingEmailStatus
from tenants.models.idempotency import IdempotentRequest
from tenants.models.onboarding import Consent, LegalDocument, VatCheck
from tenants.models.ssh_keys import SshKey

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuditRedaction",
    "Consent",
    "IdempotentRequest",
    "Invitation",
    "LegalDocument",
    "Membership",
    "Organization",
    "OutgoingEmail",
    "OutgoingEmailAttachment",
    "OutgoingEmailStatus",
    "SshKey",
    "User",
    "UserManager",
    "VatCheck",
]
