"""Self-service sign-up of a company and the evidence gathered about it (VAT ID checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.countries import EU_COUNTRIES, SERVED_COUNTRIES
from core.tasks import enqueue_on_commit
from tenants.audit import Actor, audit_record
from tenants.choices import VatCheckResult
from tenants.models import Organization, User, VatCheck
from tenants.notifications import notify_owners, send_to_address, send_to_user
from tenants.services.legal import consent_accept, legal_documents_in_force
from tenants.services.organizations import organization_apply_auto_approval, organization_create
from tenants.vat_ids import normalize_vat_id
from tenants.vies import ViesAnswer, vies_check


@dataclass(frozen=True)
class SignupData:
    legal_name: str
    country: str
    street: str
    postal_code: str
    city: str
    vat_id: str
    billing_email: str
    email: str
    full_name: str
    password: str
    language: str = "en"
    accept_terms: bool = False


def signup_validate(data: SignupData) -> dict[str, str]:
    """Check everything a sign-up needs before anything is written; returns the normalized values. Whether the
    company or the person is known already is not an error here: the answer must not tell (``signup_register``)."""
    errors: dict[str, list[str]] = {}
    country = data.country.strip().upper()
    if country not in SERVED_COUNTRIES:
        errors["country"] = [
            _("Kontor serves companies in the EU, the EEA and Switzerland; %(country)s is not served.")
            % {"country": country or "—"}
        ]
    for field, label in (
        ("legal_name", _("legal name")),
        ("street", _("street")),
        ("postal_code", _("postal code")),
        ("city", _("city")),
        ("full_name", _("your name")),
    ):
        if not getattr(data, field).strip():
            errors[field] = [_("Enter the %(field)s.") % {"field": label}]
    vat_id = ""
    if "country" not in errors:
        try:
            vat_id = normalize_vat_id(country, data.vat_id)
        except ValidationError as exc:
            errors["vat_id"] = exc.messages
    for field in ("billing_email", "email"):
        try:
            validate_email(getattr(data, field))
        except ValidationError as exc:
            errors[field] = exc.messages
    email = data.email.strip().lower()
    try:
        validate_password(data.password, User(email=email, full_name=data.full_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if not data.accept_terms:
        errors["accept_terms"] = [
            _("Accept the Terms of Service, the Data Processing Agreement and the Privacy Notice to continue.")
        ]
    if not legal_documents_in_force():
        errors["accept_terms"] = [_("Sign-up is closed: no legal documents are in force. Contact support.")]
    if errors:
        raise ValidationError(errors)
    return {"country": country, "vat_id": vat_id, "email": email}


def signup_register(*, data: SignupData, ip_address: str | None, request: HttpRequest | None) -> Organization | None:
    """Create the company (pending e-mail verification), its owner, and their consents; send the verification
    e-mail; start the VIES check. All or nothing.

    A known e-mail address or VAT ID creates nothing and returns None, and the caller answers exactly as for a new
    sign-up ("check your e-mail"): only the e-mail, sent to the address given, says what happened (an account exists:
    sign in; the company is registered: ask its owner for an invitation). So the answer never tells a stranger who
    is a customer."""
    clean = signup_validate(data)
    known_account = User.objects.filter(email=clean["email"]).first()
    if known_account is not None or Organization.objects.filter(vat_id=clean["vat_id"]).exists():
        with transaction.atomic():
            if known_account is not None:
                send_to_user(known_account, "signup_known_account", {"legal_name": data.legal_name.strip()})
            else:
                send_to_address(
                    clean["email"], "signup_known_company", {"vat_id": clean["vat_id"]}, language=data.language
                )
        return None
    with transaction.atomic():
        owner = User.objects.create_user(
            clean["email"], data.password, full_name=data.full_name.strip(), preferred_language=data.language
        )
        email_address = EmailAddress.objects.create(user=owner, email=owner.email, primary=True, verified=False)
        actor = Actor.for_user(owner, ip_address=ip_address)
        organization = organization_create(
            actor=actor, legal_name=data.legal_name, country=clean["country"], owner=owner
        )
        Organization.objects.filter(pk=organization.pk).update(
            vat_id=clean["vat_id"],
            street=data.street.strip(),
            postal_code=data.postal_code.strip(),
            city=data.city.strip(),
            billing_email=data.billing_email.strip().lower(),
        )
        organization.refresh_from_db()
        audit_record(
            actor=actor,
            action="organization.signed_up",
            target=organization,
            organization=organization,
            data={"vat_id": organization.vat_id, "country": organization.country},
        )
        consent_accept(actor=actor, organization=organization, user=owner, documents=legal_documents_in_force())
        notify_owners(organization, "received")
        transaction.on_commit(lambda: _send_verification(request, email_address), robust=True)
        if organization.country in EU_COUNTRIES:
            enqueue_on_commit("tenants.vat_check", organization.pk)
    return organization


def _send_verification(request: HttpRequest | None, email_address: EmailAddress) -> None:
    # allauth reads the request from its context; after commit we may be outside the request's middleware.
    with allauth_context.request_context(request):
        email_address.send_confirmation(request, signup=True)


def vat_check_run(*, organization_id: int, vies: Callable[[str], ViesAnswer] = vies_check) -> VatCheck | None:
    """Ask VIES about the organization's VAT ID and keep the answer as evidence. Safe to run twice: a definitive
    answer for the current VAT ID is not asked again; an unavailable one may be. ``vies`` asks the service (the demo
    data passes a stand-in that answers as VIES does when a member state's register is down)."""
    organization = Organization.objects.get(pk=organization_id)
    if not organization.vat_id or organization.country not in EU_COUNTRIES:
        return None
    latest = (
        VatCheck.objects.for_organization(organization)
        .filter(vat_id=organization.vat_id)
        .order_by("-checked_at")
        .first()
    )
    if latest is not None and latest.result != VatCheckResult.UNAVAILABLE:
        return latest
    answer = vies(organization.vat_id)
    actor = Actor.system("vies")
    with transaction.atomic():
        check = VatCheck.objects.create(
            organization=organization,
            vat_id=organization.vat_id,
            result=answer.result,
            registered_name=answer.registered_name,
            registered_address=answer.registered_address,
            request_identifier=answer.request_identifier,
            error=answer.error,
        )
        audit_record(
            actor=actor,
            action=f"vat_check.{answer.result}",
            target=check,
            organization=organization,
            data={"vat_id": organization.vat_id, "error": answer.error},
        )
        if answer.result == VatCheckResult.VALID:
            Organization.objects.filter(pk=organization.pk, vat_id=organization.vat_id).update(
                vat_id_verified_at=timezone.now()
            )
            organization.refresh_from_db()
            organization_apply_auto_approval(organization=organization)
    return check
