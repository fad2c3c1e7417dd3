"""Reads of the tenancy core. Tenant-owned lists always take the organization."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.prepared import PreparedQuery
from tenants.choices import OrganizationStatus, Role
from tenants.models import (
    ApiKey,
    AuditEvent,
    Consent,
    Invitation,
    Membership,
    Organization,
    SshKey,
    User,
    VatCheck,
)
from tenants.scoping import TenantQuerySet


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("legal_name", "id")


def organization_get_for_actor(*, slug: str, user: User | None, api_key: ApiKey | None) -> Organization | None:
    """The organization named by ``slug`` if the caller belongs to it; None otherwise (the caller answers 404)."""
    if api_key is not None:
        # The key's organization was read with the key (ApiKeyAuthentication): no second query for it.
        organization = api_key.organization
        return organization if organization.slug == slug else None
    queryset = Organization.objects.filter(slug=slug)
    if user is not None:
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


# Legal forms and filler words that do not tell two companies apart ("Rheinwerk Robotics GmbH" and "Rheinwerk
# Robotics AG" are the same name to an operator deciding on a duplicate).
_LEGAL_FORMS = frozenset(
    "gmbh mbh ag kg ohg gbr ug ev se sa sas sarl srl spa bv nv ab as asa oy oyj aps ltd limited plc llc inc "  # noqa: SIM905
    "co corp company cie und and the".split()
)
# Mailbox providers anyone can use: a shared domain there says nothing about the company.
PUBLIC_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com outlook.com hotmail.com live.com yahoo.com icloud.com me.com gmx.de gmx.net gmx.at "  # noqa: SIM905
    "web.de t-online.de posteo.de mailbox.org proton.me protonmail.com aol.com freenet.de".split()
)


def organization_name_key(legal_name: str) -> str:
    """The legal name without case, accents, punctuation and legal form: equal keys are similar names."""
    ascii_name = unicodedata.normalize("NFKD", legal_name.casefold()).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", ascii_name)  # "b.v." → "bv."
    words = [word for word in re.split(r"[^a-z0-9]+", ascii_name.replace(".", "")) if word]
    return " ".join(word for word in words if word not in _LEGAL_FORMS)


def _domain(email: str) -> str:
    domain = email.rpartition("@")[2].lower()
    return "" if domain in PUBLIC_MAIL_DOMAINS else domain


@dataclass(frozen=True)
class DuplicateMatch:
    """Another organization that may be the same company, and why."""

    organization_id: int
    slug: str
    legal_name: str
    status: str
    reasons: tuple[str, ...]

    @property
    def status_label(self) -> str:
        return str(OrganizationStatus(self.status).label)

    @property
    def reason_text(self) -> str:
        return ", ".join(str(DUPLICATE_REASONS[reason]) for reason in self.reasons)


DUPLICATE_REASONS = {
    "vat_id": _("same VAT ID"),
    "domain": _("same e-mail domain"),
    "name": _("similar name"),
}


def _owner_domains(organization_ids: list[int] | None) -> dict[int, set[str]]:
    owners = Membership.objects.unscoped().filter(role=Role.OWNER)
    if organization_ids is not None:
        owners = owners.filter(organization_id__in=organization_ids)
    domains: dict[int, set[str]] = {}
    for organization_id, email in owners.values_list("organization_id", "user__email"):
        if domain := _domain(email):
            domains.setdefault(organization_id, set()).add(domain)
    return domains


def organization_duplicate_matches(organizations: list[Organization]) -> dict[int, list[DuplicateMatch]]:
    """For each organization, the others that may be the same company: the same VAT ID (now or in an earlier VAT
    check), the same e-mail domain (billing address or an owner's; public mailbox providers do not count) or a
    similar legal name (``organization_name_key``). A constant number of queries for the whole list."""
    if not organizations:
        return {}
    ids = [organization.pk for organization in organizations]
    own_domains = _owner_domains(ids)
    for organization in organizations:
        if domain := _domain(organization.billing_email):
            own_domains.setdefault(organization.pk, set()).add(domain)
    vat_ids = {organization.vat_id for organization in organizations if organization.vat_id}
    keys = {organization.pk: organization_name_key(organization.legal_name) for organization in organizations}
    # Narrow the candidates in the database by the first word of each name; compare the keys here.
    first_words = {key.split()[0] for key in keys.values() if key}
    domains = set().union(*own_domains.values()) if own_domains else set()
    name_filter = Q()
    for word in first_words:
        name_filter |= Q(legal_name__icontains=word)
    billing_domain_filter, owner_domain_filter = Q(), Q()
    for domain in domains:
        billing_domain_filter |= Q(billing_email__iendswith=f"@{domain}")
        owner_domain_filter |= Q(user__email__iendswith=f"@{domain}")
    owner_domain_ids = (
        list(
            Membership.objects.unscoped()
            .filter(owner_domain_filter, role=Role.OWNER)
            .values_list("organization_id", flat=True)
        )
        if domains
        else []
    )
    checked_vat_ids = (
        VatCheck.objects.unscoped().filter(vat_id__in=vat_ids).values_list("organization_id", "vat_id")
        if vat_ids
        else []
    )
    vat_history: dict[int, set[str]] = {}
    for organization_id, vat_id in checked_vat_ids:
        vat_history.setdefault(organization_id, set()).add(vat_id)
    candidate_filter = Q(pk__in=owner_domain_ids) | Q(pk__in=list(vat_history)) | Q(vat_id__in=vat_ids)
    if first_words:
        candidate_filter |= name_filter
    if domains:
        candidate_filter |= billing_domain_filter
    candidates = list(Organization.objects.filter(candidate_filter).exclude(pk__in=ids).order_by("legal_name", "id"))
    candidates += organizations  # sign-ups in the same list may duplicate each other
    candidate_domains = _owner_domains([candidate.pk for candidate in candidates])
    for candidate in candidates:
        if domain := _domain(candidate.billing_email):
            candidate_domains.setdefault(candidate.pk, set()).add(domain)
    result: dict[int, list[DuplicateMatch]] = {}
    for organization in organizations:
        matches = []
        for candidate in candidates:
            if candidate.pk == organization.pk:
                continue
            reasons = []
            candidate_vat_ids = vat_history.get(candidate.pk, set()) | ({candidate.vat_id} - {""})
            if organization.vat_id and organization.vat_id in candidate_vat_ids:
                reasons.append("vat_id")
            if own_domains.get(organization.pk, set()) & candidate_domains.get(candidate.pk, set()):
                reasons.append("domain")
            if keys[organization.pk] and keys[organization.pk] == organization_name_key(candidate.legal_name):
                reasons.append("name")
            if reasons:
                matches.append(
                    DuplicateMatch(candidate.pk, candidate.slug, candidate.legal_name, candidate.status, tuple(reasons))
                )
        result[organization.pk] = matches
    return result


def organization_possible_duplicates(organizations: list[Organization]) -> dict[int, list[str]]:
    """For each organization, the slugs of others that may be the same company (``organization_duplicate_matches``)."""
    return {
        pk: sorted(match.slug for match in matches)
        for pk, matches in organization_duplicate_matches(list(organizations)).items()
    }


def organization_consents(*, organization: Organization) -> TenantQuerySet[Consent]:
    """The legal documents (kind and version) the organization's people accepted, when and from where."""
    return (
        Consent.objects.for_organization(organization)
        .select_related("document", "user")
        .order_by("document__kind", "-accepted_at")
    )


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


_KEYS_SHARED_AND_OWN: PreparedQuery[SshKey] = PreparedQuery(
    lambda organization, user: ssh_key_list_usable_by(organization=Organization(pk=organization), user=User(pk=user)),
    organization=int,
    user=int,
)
_KEYS_SHARED: PreparedQuery[SshKey] = PreparedQuery(
    lambda organization: ssh_key_list_usable_by(organization=Organization(pk=organization), user=None),
    organization=int,
)


def ssh_keys_usable_by(*, organization: Organization, user: User | None) -> list[SshKey]:
    """``ssh_key_list_usable_by``'s keys, in its order, read by a statement compiled once per process: every API
    order reads them."""
    if user is None:
        return _KEYS_SHARED(organization=organization.pk)
    return _KEYS_SHARED_AND_OWN(organization=organization.pk, user=user.pk)


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
