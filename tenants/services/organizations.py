"""Organizations: creation and the lifecycle (verification, approval, activation, suspension, closure)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.countries import EU_COUNTRIES, SERVED_COUNTRIES
from core.events import publish
from core.tasks import enqueue_on_commit
from tenants.approval import matching_rule
from tenants.audit import Actor, audit_record
from tenants.choices import OrganizationStatus, Role, StatusReason, VatCheckResult
from tenants.models import Membership, Organization, User, VatCheck
from tenants.notifications import notify_owners
from tenants.vat_ids import normalize_vat_id

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
            data={"user_id": owner.pk, "role": Role.OWNER},
        )
    return organization


def organization_details_set(
    *, actor: Actor, organization: Organization, street: str, postal_code: str, city: str, vat_id: str = ""
) -> Organization:
    """Set the postal address invoices are addressed to (EN 16931 BG-8; XRechnung needs city and postal code) and,
    if given, the VAT ID (normalized for the country; a changed ID is unconfirmed until VIES confirms it)."""
    values: dict[str, object] = {"street": street.strip(), "postal_code": postal_code.strip(), "city": city.strip()}
    errors = {field: [_("This field is required.")] for field, value in values.items() if not value}
    if vat_id:
        try:
            values["vat_id"] = normalize_vat_id(organization.country, vat_id)
        except ValidationError as error:
            errors["vat_id"] = error.messages
        else:
            if Organization.objects.exclude(pk=organization.pk).filter(vat_id=values["vat_id"]).exists():
                errors["vat_id"] = [_("Another organization is registered with this VAT ID.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if "vat_id" in values and values["vat_id"] != organization.vat_id:
            values["vat_id_verified_at"] = None
        Organization.objects.filter(pk=organization.pk).update(**values)
        organization.refresh_from_db()
        audit_record(
            actor=actor,
            action="organization.details_set",
            target=organization,
            organization=organization,
            data={key: str(value) for key, value in values.items() if key != "vat_id_verified_at"},
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
        # Higher apps follow the lifecycle: provisioning creates the cloud project of an approved organization.
        publish(
            f"organization.{to_status}",
            organization_id=locked.pk,
            data={"from": from_status, "to": str(to_status), "reason": reason},
        )
    organization.refresh_from_db()
    return organization


def organization_email_verified(*, actor: Actor, organization: Organization) -> Organization:
    """The owner confirmed their e-mail address: the sign-up goes to approval (and maybe straight through it)."""
    organization = organization_transition(
        actor=actor, organization=organization, to_status=S.PENDING_APPROVAL, reason=StatusReason.EMAIL_VERIFIED
    )
    return organization_apply_auto_approval(organization=organization)


def organization_apply_auto_approval(*, organization: Organization) -> Organization:
    """Approve a pending sign-up if an auto-approval rule in force matches its evidence; otherwise leave it."""
    if organization.status != S.PENDING_APPROVAL:
        return organization
    rule = matching_rule(organization)
    if rule is None:
        return organization
    return organization_approve(actor=Actor.system(f"auto-approval:{rule}"), organization=organization, rule=rule)


def organization_approve(*, actor: Actor, organization: Organization, rule: str = "") -> Organization:
    """Approve a sign-up: it moves to provisioning, and provisioning (subscribed to ``organization.provisioning``)
    creates its cloud project."""
    with transaction.atomic():
        # Written first, so the owners' "approved" e-mail is queued before anything provisioning sends; a refused
        # transition rolls it back with everything else.
        notify_owners(organization, "approved")
        organization = organization_transition(
            actor=actor,
            organization=organization,
            to_status=S.PROVISIONING,
            # English, whatever the operator's language: shown translated by Organization.status_reason_display.
            reason=StatusReason.APPROVED_BY_RULE % {"rule": rule} if rule else StatusReason.APPROVED_BY_OPERATOR,
        )
        Organization.objects.filter(pk=organization.pk).update(approval_rule=rule, activation_error="")
    organization.refresh_from_db()
    return organization


def organization_reject(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the sign-up is rejected; the owner receives it.")]})
    with transaction.atomic():
        organization = organization_transition(
            actor=actor, organization=organization, to_status=S.REJECTED, reason=reason
        )
        notify_owners(organization, "rejected", {"reason": reason})
    return organization


def _required_reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [message]})
    return reason


def organization_suspend(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    """Suspend an active organization: new bookings and extensions are refused (the order rules require an active
    organization); what is booked already keeps its window. Reversible with ``organization_reactivate``."""
    reason = _required_reason(reason, _("Say why the organization is suspended."))
    return organization_transition(actor=actor, organization=organization, to_status=S.SUSPENDED, reason=reason)


def organization_reactivate(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    """Lift a suspension: the organization may order again."""
    reason = _required_reason(reason, _("Say why the suspension is lifted."))
    if organization.status != S.SUSPENDED:
        # ACTIVE is also reached from provisioning, by activation; only a suspended organization is reactivated.
        raise InvalidTransitionError(
            _("Only a suspended organization can be reactivated (status: %(status)s).")
            % {"status": S(organization.status).label},
            code="invalid_transition",
        )
    return organization_transition(actor=actor, organization=organization, to_status=S.ACTIVE, reason=reason)


def organization_close(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    """Close an organization for good. Subscribers of ``organization.closed`` act in the same transaction (the
    reservations app cancels what has not started and releases what runs), so a refusal anywhere leaves nothing
    changed."""
    reason = _required_reason(reason, _("Say why the organization is closed."))
    return organization_transition(actor=actor, organization=organization, to_status=S.CLOSED, reason=reason)


def vat_check_retry(*, actor: Actor, organization: Organization) -> None:
    """Ask VIES again (in the ``tenants.vat_check`` task, never in the request) when no definitive answer is on
    record for the organization's current VAT ID."""
    if not organization.vat_id or organization.country not in EU_COUNTRIES:
        raise ValidationError(
            _("VIES checks only VAT IDs of EU companies; %(name)s has none to check.")
            % {"name": organization.legal_name},
            code="vat_check_not_applicable",
        )
    latest = (
        VatCheck.objects.for_organization(organization)
        .filter(vat_id=organization.vat_id)
        .order_by("-checked_at", "-id")
        .first()
    )
    if latest is not None and latest.result != VatCheckResult.UNAVAILABLE:
        raise ValidationError(
            _("VIES already answered for %(vat_id)s (%(result)s); there is nothing to retry.")
            % {"vat_id": organization.vat_id, "result": VatCheckResult(latest.result).label},
            code="vat_check_definitive",
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="vat_check.retry_requested",
            target=organization,
            organization=organization,
            data={"vat_id": organization.vat_id},
        )
        enqueue_on_commit("tenants.vat_check", organization.pk)
