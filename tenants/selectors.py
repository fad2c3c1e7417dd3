"""Reads of the tenancy core. Tenant-owned lists always take the organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from tenants.choices import OrganizationStatus, Role
from tenants.models import ApiKey, AuditEvent, Invitation, Membership, Organization, SshKey, User, VatCheck
from tenants.scoping import TenantQuerySet


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("legal_name", "id")


def organization_get_for_actor(*, slug: str, user: User | None, api_key: ApiKey | None) -> Organization | None:
    """The organization named by ``slug`` if the caller belongs to it; None otherwise (the caller answers 404)."""
    queryset = Organization.objects.filter(slug=slug)
    if api_key is not None:
        queryset = queryset.filter(pk=api_key.organization_id)
    elif user is not None:
        queryset = queryset.filter(memberships__user=user)
    else:
        return None
    return queryset.first()


def membership_get(*, organization: Organization, user: User) -> Membership | None:
    return Membership.objects.for_organization(organization).filter(user=user).first()


def membership_list(*, organization: Organization) -> TenantQuerySet[Membership]:
    return Membership.objects.for_organization(organization).select_related("user")


def audit_event_list(*, organization: Organization) -> TenantQuerySet[AuditEvent]:
    return AuditEvent.objects.for_organization(organization)


def organization_approval_queue() -> QuerySet[Organization]:
    """Every organization with the evidence operators decide on: VAT checks and whether the owner verified."""
    verified_owner = EmailAddress.objects.filter(
        user__memberships__organization=OuterRef("pk"), user__memberships__role=Role.OWNER, verified=True
    )
    return (
        Organization.objects.annotate(owner_email_verified=Exists(verified_owner))
        .prefetch_related(Prefetch("vat_checks", queryset=VatCheck.objects.unscoped().order_by("-checked_at")))
        .order_by("-created_at", "-id")
    )


def organization_possible_duplicates(organizations: list[Organization]) -> dict[int, list[str]]:
    """For each organization, the slugs of others with the same legal name (any case) or billing e-mail."""
    names = {organization.legal_name.lower() for organization in organizations}
    emails = {organization.billing_email for organization in organizations if organization.billing_email}
    candidates = list(
        Organization.objects.annotate(name_key=Lower("legal_name"))
        .filter(Q(name_key__in=names) | Q(billing_email__in=emails))
        .values("pk", "slug", "name_key", "billing_email")
    )
    result: dict[int, list[str]] = {}
    for organization in organizations:
        result[organization.pk] = sorted(
            candidate["slug"]
            for candidate in candidates
            if candidate["pk"] != organization.pk
            and (
                candidate["name_key"] == organization.legal_name.lower()
                or (organization.billing_email and candidate["billing_email"] == organization.billing_email)
            )
        )
    return result


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships with their organizations (one query), by organization name."""
    return user.memberships.select_related("organization").order_by("organization__legal_name", "organization_id")


def invitation_list(*, organization: Organization) -> TenantQuerySet[Invitation]:
    return Invitation.objects.for_organization(organization)


def api_key_list(*, organization: Organization) -> TenantQuerySet[ApiKey]:
    return ApiKey.objects.for_organization(organization).select_related("created_by")


def ssh_key_list(*, organization: Organization) -> TenantQuerySet[SshKey]:
    """Every key of the organization: the shared ones and each member's own."""
    return SshKey.objects.for_organization(organization).select_related("user").order_by("name", "id")


def ssh_key_list_usable_by(*, organization: Organization, user: User | None) -> TenantQuerySet[SshKey]:
    """The keys an order by ``user`` may put on servers: the organization's shared keys and the user's own."""
    keys = ssh_key_list(organization=organization)
    return keys.filter(Q(user__isnull=True) | Q(user=user)) if user is not None else keys.filter(user__isnull=True)


# --- The operator dashboard ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingApproval:
    organization_id: int
    legal_name: str
    country: str
    pending_since: datetime  # when it entered pending approval (its sign-up time if the log has no such event)


@dataclass(frozen=True)
class PendingApprovals:
    count: int
    oldest: list[PendingApproval]  # the longest waiting first, at most ``limit``

    @property
    def oldest_since(self) -> datetime | None:
        return self.oldest[0].pending_since if self.oldest else None


def organizations_pending_approval(*, limit: int = 5) -> PendingApprovals:
    """Organizations waiting for an operator's approval, the longest waiting first. Two queries."""
    entered = (
        AuditEvent.objects.unscoped()
        .filter(organization=OuterRef("pk"), action=f"organization.{OrganizationStatus.PENDING_APPROVAL}")
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    pending = Organization.objects.filter(status=OrganizationStatus.PENDING_APPROVAL)
    rows = (
        pending.annotate(pending_since=Coalesce(Subquery(entered), "created_at"))
        .order_by("pending_since", "id")
        .values("id", "legal_name", "country", "pending_since")[:limit]
    )
    return PendingApprovals(
        count=pending.count(),
        oldest=[
            PendingApproval(
                organization_id=row["id"],
                legal_name=row["legal_name"],
                country=row["country"],
                pending_since=row["pending_since"],
            )
            for row in rows
        ],
    )
