"""People and organizations: users, organizations (the tenants) and memberships."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.choices import OrganizationStatus, Role, StatusReason
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
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    approval_rule = models.CharField(
        _("approved by rule"), max_length=64, blank=True, help_text=_("Empty when an operator approved it.")
    )
    cloud_project_id = models.CharField(_("cloud project ID"), max_length=64, blank=True)
    activation_error = models.TextField(_("activation error"), blank=True)
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

    def status_reason_display(self) -> str:
        """The status reason in the active language when the platform wrote it (``StatusReason``), else as written."""
        values = {"rule": self.approval_rule, "project": self.cloud_project_id}
        for message in StatusReason.ALL:
            if self.status_reason == message % values:
                return gettext(message) % values
        return self.status_reason

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.street, f"{self.postal_code} {self.city}".strip(), self.country) if line]


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
