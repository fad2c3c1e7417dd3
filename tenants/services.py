"""Every write of the tenancy core. Each service is atomic and writes its audit event in the same transaction."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.choices import SERVED_COUNTRIES, OrganizationStatus, Role
from tenants.keys import KEY_PREFIX, hash_secret
from tenants.models import ApiKey, Membership, Organization, User
from tenants.permissions import SCOPE_VALUES

S = OrganizationStatus

# The organization lifecycle. Anything not listed here is refused.
ORGANIZATION_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_VERIFICATION: frozenset({S.PENDING_APPROVAL, S.REJECTED, S.CLOSED}),
    S.PENDING_APPROVAL: frozenset({S.PROVISIONING, S.REJECTED, S.CLOSED}),
    S.PROVISIONING: frozenset({S.ACTIVE, S.CLOSED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.CLOSED}),
    S.REJECTED: frozenset(),
    S.CLOSED: frozenset(),
}


class InvalidTransitionError(ValidationError):
    """A state change that the lifecycle does not allow."""


def _unique_slug(legal_name: str) -> str:
    base = slugify(legal_name)[:50] or "org"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def organization_create(*, actor: Actor, legal_name: str, country: str, owner: User) -> Organization:
    """Create an organization in ``pending_verification`` with ``owner`` as its first owner."""
    legal_name = legal_name.strip()
    country = country.strip().upper()
    if not legal_name:
        raise ValidationError({"legal_name": [_("The legal name is required.")]})
    if country not in SERVED_COUNTRIES:
        raise ValidationError(
            {
                "country": [
                    _("Kontor serves companies in the EU, the EEA and Switzerland; %(country)s is not served.")
                    % {"country": country or "—"}
                ]
            }
        )
    with transaction.atomic():
        organization = Organization.objects.create(
            legal_name=legal_name, country=country, slug=_unique_slug(legal_name)
        )
        membership = Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
        audit_record(
            actor=actor,
            action="organization.created",
            target=organization,
            organization=organization,
            data={"legal_name": legal_name, "country": country},
        )
        audit_record(
            actor=actor,
            action="membership.created",
            target=membership,
            organization=organization,
            data={"user": owner.email, "role": Role.OWNER},
        )
    return organization


def organization_transition(
    *, actor: Actor, organization: Organization, to_status: OrganizationStatus, reason: str = ""
) -> Organization:
    """Move an organization along its lifecycle; refuses any transition not in ORGANIZATION_TRANSITIONS."""
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        from_status = locked.status
        if to_status not in ORGANIZATION_TRANSITIONS[from_status]:
            raise InvalidTransitionError(
                _("An organization cannot go from %(from)s to %(to)s.")
                % {"from": S(from_status).label, "to": S(to_status).label},
                code="invalid_transition",
            )
        locked.status = to_status
        locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(
            actor=actor,
            action=f"organization.{to_status}",
            target=locked,
            organization=locked,
            data={"from": from_status, "to": str(to_status), "reason": reason},
        )
    organization.refresh_from_db()
    return organization


def api_key_create(*, actor: Actor, organization: Organization, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create an API key; returns it with the full token, which is shown once and never stored."""
    unknown = sorted(set(scopes) - SCOPE_VALUES)
    if unknown:
        raise ValidationError({"scopes": [_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}]})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name.strip()[:100],
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=sorted(set(scopes)),
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="api_key.created",
            target=api_key,
            organization=organization,
            data={"name": api_key.name, "scopes": api_key.scopes},
        )
    return api_key, f"{KEY_PREFIX}{prefix}_{secret}"
