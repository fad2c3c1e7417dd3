"""States, roles and kinds of the tenancy core."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationStatus(models.TextChoices):
    PENDING_VERIFICATION = "pending_verification", _("Pending e-mail verification")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    BILLING = "billing", _("Billing")
    VIEWER = "viewer", _("Viewer")


class ActorType(models.TextChoices):
    USER = "user", _("User")
    API_KEY = "api_key", _("API key")
    SYSTEM = "system", _("System")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


class VatCheckResult(models.TextChoices):
    VALID = "valid", _("Confirmed valid")
    INVALID = "invalid", _("Reported invalid")
    UNAVAILABLE = "unavailable", _("Service unavailable")


class LegalDocumentKind(models.TextChoices):
    TERMS = "terms", _("Terms of Service")
    DPA = "dpa", _("Data Processing Agreement (GDPR Art. 28)")
    PRIVACY = "privacy", _("Privacy Notice")
