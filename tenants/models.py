"""Users, organizations (the tenants), memberships, API keys and the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.choices import ActorType, OrganizationStatus, Role
from tenants.scoping import TenantOwnedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude={"password"})
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address.

    Invariants: e-mail addresses are unique regardless of case: they are stored lower-cased (a check constraint)
    and unique. ``is_staff`` marks a cloud
    operator, who may use the operator console at /ops/; customers are never staff.
    """

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="en")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("operator"), default=False, help_text=_("Cloud operators may sign in to the operator console.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="tenants_user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    """A customer company: the tenant that owns everything a customer books, runs and is billed for.

    Invariants: the slug is unique and never changes (it is part of every tenant URL); ``status`` only changes
    through ``tenants.services.organization_transition`` following ``ORGANIZATION_TRANSITIONS``; the country is an
    ISO 3166-1 alpha-2 code in upper case; ``vat_id`` is stored normalized (``DE123456789``) and unique among
    organizations that have one; ``vat_id_verified_at`` is set only while the stored VAT ID is confirmed.
    """

    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2)
    status = models.CharField(
        _("status"), max_length=32, choices=OrganizationStatus.choices, default=OrganizationStatus.PENDING_VERIFICATION
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    vat_id = models.CharField(
        _("VAT ID"), max_length=20, blank=True, help_text=_("Normalized, with its country prefix, e.g. DE123456789.")
    )
    vat_id_verified_at = models.DateTimeField(
        _("VAT ID confirmed"),
        null=True,
        blank=True,
        help_text=_("When VIES (or an operator) last confirmed the VAT ID."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OrganizationStatus.values), name="tenants_organization_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="tenants_organization_country_iso"
            ),
            models.UniqueConstraint(
                fields=["vat_id"], condition=~models.Q(vat_id=""), name="tenants_organization_vat_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(vat_id_verified_at__isnull=True) | ~models.Q(vat_id=""),
                name="tenants_organization_vat_verified_needs_id",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class Membership(TenantOwnedModel):
    """A user's role in one organization.

    Invariants: one membership per user and organization; the role is one of ``Role``. That an organization keeps
    at least one owner is enforced by the membership services.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="tenants_membership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="tenants_membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class ApiKey(TenantOwnedModel):
    """An organization-scoped key for partner integrations.

    Invariants: the secret is never stored, only its SHA-256 digest; ``prefix`` is unique and identifies the key
    in logs and the audit trail; a revoked or expired key never authenticates.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, *, at: Any = None) -> bool:
        now = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEvent(TenantOwnedModel):
    """One recorded change: who did what to which object, when and from where.

    Invariants: append-only — the database refuses UPDATE and DELETE on this table (a trigger, see migration
    0002); written by ``tenants.audit.audit_record`` inside the transaction of the change it records; the actor
    columns match ``actor_type`` (a user event names a user, an API-key event names a key, a system event
    neither). ``organization`` is empty for platform-wide events, which only operators see.
    """

    occurred_at = models.DateTimeField(_("time"), db_default=Now(), db_index=True)
    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=254)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100)
    target_id = models.CharField(_("target ID"), max_length=64)
    target_label = models.CharField(_("target"), max_length=254, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["organization", "-occurred_at"], name="tenants_audit_org_time")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(actor_type=ActorType.USER, actor_user__isnull=False, actor_api_key__isnull=True)
                    | models.Q(actor_type=ActorType.API_KEY, actor_user__isnull=True, actor_api_key__isnull=False)
                    | models.Q(actor_type=ActorType.SYSTEM, actor_user__isnull=True, actor_api_key__isnull=True)
                ),
                name="tenants_auditevent_actor_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_label}"
