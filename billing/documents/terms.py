"""E-invoicing choices of an organization (buyer reference, Leitweg-ID, format) and the terms frozen on a document.

- ``billing_profile_update`` is the one write of a ``BillingProfile``: it validates the Leitweg-ID (shape and
  ISO 7064 mod 97-10 check digits, through python-stdnum) and the buyer reference's length, and audits.
- ``seller_contact`` reads the seller contact (BG-6) from ``settings.KONTOR_SELLER`` and refuses, naming the
  setting, when any part is missing: finalization calls it before the number is taken.
- ``invoice_terms_freeze`` runs inside the finalizing transaction once the draft → finalized transition succeeded.
- ``buyer_references`` decides BT-10 (and BT-13) from the frozen terms, the rule XRechnung prescribes: a public
  buyer's Leitweg-ID is BT-10; otherwise the organization's reference; otherwise its Kontor customer ID, so BT-10
  is never empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.de import leitweg
from stdnum.exceptions import ValidationError as NumberError

from billing.choices import InvoiceKind
from billing.documents.language import organization_document_language
from billing.documents.models import BUYER_REFERENCE_MAX_LENGTH, BillingProfile, EInvoiceFormat, InvoiceTerms
from billing.models import Invoice
from tenants.audit import Actor, audit_record
from tenants.models import Organization

# (key in settings.KONTOR_SELLER, the environment variable that sets it)
SELLER_CONTACT_SETTINGS = (
    ("contact_name", "KONTOR_SELLER_CONTACT_NAME"),
    ("contact_phone", "KONTOR_SELLER_CONTACT_PHONE"),
    ("contact_email", "KONTOR_SELLER_CONTACT_EMAIL"),
)


class DocumentTermsError(ValueError):
    """The seller's settings cannot give a document its mandatory terms; nothing was changed."""


@dataclass(frozen=True)
class SellerContact:
    """BG-6: who at the seller answers questions about an invoice."""

    name: str
    phone: str
    email: str


def seller_contact() -> SellerContact:
    """The seller contact from ``settings.KONTOR_SELLER``; refuses naming the first missing setting."""
    configured = settings.KONTOR_SELLER
    for key, variable in SELLER_CONTACT_SETTINGS:
        if not str(configured.get(key, "")).strip():
            raise DocumentTermsError(
                f"settings.KONTOR_SELLER[{key!r}] ({variable}) is empty: an XRechnung needs the seller contact "
                "(BG-6: name, phone, e-mail)."
            )
    return SellerContact(
        name=configured["contact_name"].strip(),
        phone=configured["contact_phone"].strip(),
        email=configured["contact_email"].strip(),
    )


def leitweg_id_clean(value: str) -> str:
    """The Leitweg-ID in its canonical form (upper case), or ``ValidationError`` for a wrong shape or check digit."""
    value = value.strip()
    if not value:
        return ""
    try:
        return str(leitweg.validate(value))
    except NumberError as error:
        raise ValidationError(
            _("%(value)s is not a valid Leitweg-ID (format and check digits are checked)."),
            code="invalid_leitweg_id",
            params={"value": value},
        ) from error


def buyer_reference_clean(value: str) -> str:
    value = value.strip()
    if len(value) > BUYER_REFERENCE_MAX_LENGTH:
        raise ValidationError(
            _("The buyer reference has %(length)d characters; at most %(limit)d are allowed."),
            code="buyer_reference_too_long",
            params={"length": len(value), "limit": BUYER_REFERENCE_MAX_LENGTH},
        )
    return value


def billing_profile_get(*, organization: Organization) -> BillingProfile:
    """The organization's profile, or an unsaved default one (no references, Factur-X)."""
    profile = BillingProfile.objects.for_organization(organization).first()
    return profile if profile is not None else BillingProfile(organization=organization)


def billing_email_clean(value: str) -> str:
    """The billing e-mail address in lower case ("" means: the owners), or ``ValidationError``."""
    value = value.strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError as error:
            raise ValidationError(
                _("%(value)s is not a valid e-mail address."), code="invalid_email", params={"value": value}
            ) from error
    return value


def billing_profile_update(
    *,
    actor: Actor,
    organization: Organization,
    buyer_reference: str,
    leitweg_id: str,
    e_invoice_format: str,
    billing_email: str | None = None,
) -> BillingProfile:
    """Set the organization's buyer reference, Leitweg-ID, e-invoice format and (unless None) billing e-mail
    address (``Organization.billing_email``; empty: the invoices go to the owners); audited.

    Refuses (``ValidationError`` by field, nothing written) a Leitweg-ID with a wrong shape or check digits, a
    buyer reference that is too long, an invalid e-mail address and an unknown format.
    """
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, str] = {}
    if billing_email is not None:
        try:
            cleaned["billing_email"] = billing_email_clean(billing_email)
        except ValidationError as error:
            errors["billing_email"] = [error]
    for field, value, clean in (
        ("buyer_reference", buyer_reference, buyer_reference_clean),
        ("leitweg_id", leitweg_id, leitweg_id_clean),
    ):
        try:
            cleaned[field] = clean(value)
        except ValidationError as error:
            errors[field] = [error]
    if e_invoice_format not in EInvoiceFormat.values:
        errors["e_invoice_format"] = [
            ValidationError(
                _("Unknown e-invoice format %(value)s."), code="invalid_choice", params={"value": e_invoice_format}
            )
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        profile = BillingProfile.objects.for_organization(organization).select_for_update().first()
        if profile is None:
            profile = BillingProfile(organization=organization)
        before = {
            "buyer_reference": profile.buyer_reference,
            "leitweg_id": profile.leitweg_id,
            "e_invoice_format": profile.e_invoice_format,
            "billing_email": organization.billing_email,
        }
        profile.buyer_reference = cleaned["buyer_reference"]
        profile.leitweg_id = cleaned["leitweg_id"]
        profile.e_invoice_format = e_invoice_format
        after = {
            "buyer_reference": profile.buyer_reference,
            "leitweg_id": profile.leitweg_id,
            "e_invoice_format": profile.e_invoice_format,
            "billing_email": cleaned.get("billing_email", organization.billing_email),
        }
        if profile.pk is not None and before == after:
            return profile
        if after["billing_email"] != before["billing_email"]:
            Organization.objects.filter(pk=organization.pk).update(billing_email=after["billing_email"])
            organization.billing_email = after["billing_email"]
        profile.updated_at = timezone.now()
        profile.save()
        audit_record(
            actor=actor,
            action="billing.profile_updated",
            target=profile,
            organization=organization,
            data={"before": before, "after": after},
        )
        return profile


def invoice_terms_freeze(*, invoice: Invoice) -> InvoiceTerms:
    """Freeze the document's e-invoice terms; runs in the caller's finalizing transaction, after the transition.

    Raises ``DocumentTermsError`` naming the setting when the seller contact is incomplete (nothing is written).
    """
    contact = seller_contact()
    organization = invoice.organization
    buyer_reference, leitweg_id = "", ""
    cited_terms = (
        InvoiceTerms.objects.for_organization(organization).filter(invoice_id=invoice.credited_invoice_id).first()
        if invoice.kind == InvoiceKind.CREDIT_NOTE
        else None
    )
    if cited_terms is not None:  # a credit note goes to whoever received the invoice it corrects
        buyer_reference, leitweg_id = cited_terms.buyer_reference, cited_terms.leitweg_id
    else:
        profile = billing_profile_get(organization=organization)
        buyer_reference, leitweg_id = profile.buyer_reference, profile.leitweg_id
    return InvoiceTerms.objects.create(
        organization=organization,
        invoice=invoice,
        language=organization_document_language(organization),
        buyer_reference=buyer_reference,
        leitweg_id=leitweg_id,
        seller_contact_name=contact.name,
        seller_contact_phone=contact.phone,
        seller_contact_email=contact.email,
    )


def invoices_terms_freeze(*, invoices: Sequence[Invoice], languages: Mapping[int, str]) -> list[InvoiceTerms]:
    """``invoice_terms_freeze`` for a batch of invoices (not credit notes) finalized in the caller's transaction:
    one read of their organizations' profiles, one insert. ``languages`` maps organization IDs to the document
    language the invoices were worded in."""
    contact = seller_contact()
    profiles = {
        profile.organization_id: profile
        for profile in BillingProfile.objects.unscoped().filter(
            organization_id__in={invoice.organization_id for invoice in invoices}
        )
    }
    terms = []
    for invoice in invoices:
        if invoice.kind != InvoiceKind.INVOICE:
            raise ValueError(f"{invoice}: credit notes freeze the terms of the invoice they cite, one at a time.")
        profile = profiles.get(invoice.organization_id)
        terms.append(
            InvoiceTerms(
                organization_id=invoice.organization_id,
                invoice=invoice,
                language=languages[invoice.organization_id],
                buyer_reference=profile.buyer_reference if profile is not None else "",
                leitweg_id=profile.leitweg_id if profile is not None else "",
                seller_contact_name=contact.name,
                seller_contact_phone=contact.phone,
                seller_contact_email=contact.email,
            )
        )
    return InvoiceTerms.objects.bulk_create(terms)


@dataclass(frozen=True)
class BuyerReferences:
    buyer_reference: str  # BT-10, never empty
    order_reference: str  # BT-13: the one PO all lines share; else, under a Leitweg-ID, the organization's reference


def shared_order_reference(line_orders: Iterable[str]) -> str:
    """The purchase order of the document when every line bills the same, non-empty one; else empty.

    EN 16931 has one purchase order reference per invoice (BT-13); BT-132 only points at a line *of that order*.
    Lines of different orders therefore name their order in the line note (BT-127) instead.
    """
    orders = set(line_orders)
    return orders.pop() if len(orders) == 1 and "" not in orders else ""


def buyer_references(
    *, terms: InvoiceTerms | None, organization: Organization, line_orders: Iterable[str] = ()
) -> BuyerReferences:
    """BT-10 and BT-13 of a document, the rule XRechnung prescribes (BR-DE-15: BT-10 always):

    - BT-10 is the public buyer's Leitweg-ID; else the organization's buyer reference; else the order's PO (when all
      lines share one); else the Kontor customer ID.
    - BT-13 is the PO all lines share; else, when the Leitweg-ID took BT-10, the organization's buyer reference.
    """
    leitweg_id = terms.leitweg_id if terms is not None else ""
    reference = terms.buyer_reference if terms is not None else ""
    order = shared_order_reference(line_orders)
    if leitweg_id:
        return BuyerReferences(buyer_reference=leitweg_id, order_reference=order or reference)
    return BuyerReferences(buyer_reference=reference or order or organization.slug, order_reference=order)
