"""States, roles and kinds of the tenancy core."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class StatusReason:
    """The reasons the platform itself writes into ``Organization.status_reason``: stored in English (what the API
    answers and the audit log keeps) and shown in the reader's language by ``Organization.status_reason_display``.
    Their placeholders are filled from the organization's own fields (``approval_rule``, ``cloud_project_id``).
    An operator's reason (reject, suspend, reactivate, close) is kept and shown as the operator wrote it."""

    EMAIL_VERIFIED = gettext_noop("e-mail address verified")
    APPROVED_BY_OPERATOR = gettext_noop("approved by an operator")
    APPROVED_BY_RULE = gettext_noop("approved by rule %(rule)s")
    CLOUD_PROJECT = gettext_noop("cloud project %(project)s")
    DEMO_DATA = gettext_noop("demo data")
    ALL = (EMAIL_VERIFIED, APPROVED_BY_OPERATOR, APPROVED_BY_RULE, CLOUD_PROJECT, DEMO_DATA)


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
