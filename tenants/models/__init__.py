"""The tenancy core's models, one module per concern."""

from tenants.models.access import ApiKey, Invitation
from tenants.models.audit import AuditEvent, AuditRedaction
from tenants.models.core import Membership, Organization, User, UserManager
from tenants.models.email import OutgoingEmail, OutgoingEmailStatus
from tenants.models.onboarding import Consent, LegalDocument, VatCheck

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuditRedaction",
    "Consent",
    "Invitation",
    "LegalDocument",
    "Membership",
    "Organization",
    "OutgoingEmail",
    "OutgoingEmailStatus",
    "User",
    "UserManager",
    "VatCheck",
]
