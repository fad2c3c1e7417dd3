"""From a finalized ``Invoice`` to the ``InvoiceDocument`` that the XML and the PDF are rendered from.

Every amount is taken as stored: the mapping computes nothing but dates, so the e-invoice shows exactly what was
finalized. The seller is the document's snapshot; what the snapshot does not hold (commercial register entry, tax
number, bank account, e-mail) comes from ``settings.KONTOR_SELLER``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from billing.choices import InvoiceKind, InvoiceStatus
from billing.documents.formats import document_date
from billing.documents.language import organization_document_language
from billing.documents.model import (
    CREDIT_NOTE,
    INVOICE,
    Contact,
    DocumentError,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdownEntry,
)
from billing.documents.models import InvoiceTerms
from billing.documents.terms import buyer_references, shared_order_reference
from billing.invoices.selectors import invoice_lines
from billing.models import Invoice, InvoiceLine
from core.vat import EXEMPTION_REASON_CODES, VatCategory

BERLIN = ZoneInfo("Europe/Berlin")
PAYMENT_DAYS = 14


def _berlin_date(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def invoice_terms(invoice: Invoice) -> InvoiceTerms | None:
    """The terms frozen at finalization (None for documents finalized before they existed); no query when the
    invoice was read with ``select_related("terms")``."""
    try:
        cached = Invoice.terms.related.get_cached_value(invoice)
    except KeyError:
        return InvoiceTerms.objects.for_organization(invoice.organization).filter(invoice=invoice).first()
    return cached if isinstance(cached, InvoiceTerms) else None


def _stored_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The document's lines in position order: prefetched (``billing.invoices.selectors.invoices_for_documents``)
    or read here."""
    prefetched = getattr(invoice, "_prefetched_objects_cache", {}).get("lines")
    if prefetched is not None:
        return sorted(prefetched, key=lambda line: line.position)
    return list(invoice_lines(invoice=invoice))


def document_language(invoice: Invoice) -> str:
    """The language the document was worded in at finalization; for older documents the organization's now."""
    terms = invoice_terms(invoice)
    return terms.language if terms is not None else organization_document_language(invoice.organization)


def _seller(invoice: Invoice) -> Party:
    configured = settings.KONTOR_SELLER
    return Party(
        name=invoice.seller_legal_name,
        street=invoice.seller_street,
        postal_code=invoice.seller_postal_code,
        city=invoice.seller_city,
        country=invoice.seller_country,
        vat_id=invoice.seller_vat_id,
        email=configured.get("email", ""),
        registration_id=configured.get("registration_id", ""),
        tax_number=configured.get("tax_number", ""),
    )


def _buyer(invoice: Invoice) -> Party:
    return Party(
        name=invoice.buyer_legal_name,
        street=invoice.buyer_street,
        postal_code=invoice.buyer_postal_code,
        city=invoice.buyer_city,
        country=invoice.buyer_country,
        vat_id=invoice.buyer_vat_id,
    )


def _vat_breakdown(invoice: Invoice) -> tuple[VatBreakdownEntry, ...]:
    # A document has the one VAT treatment of its organization (or of the invoice a credit note cites).
    category = VatCategory(invoice.vat_category)
    code = EXEMPTION_REASON_CODES.get(category, "")
    return (
        VatBreakdownEntry(
            category=category.value,
            rate=invoice.vat_rate,
            taxable_amount=invoice.net_amount,
            tax_amount=invoice.vat_amount,
            exemption_reason=str(category.label) if code else "",
            exemption_code=code,
        ),
    )


def _notes(invoice: Invoice) -> tuple[str, ...]:
    notes: list[str] = []
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        assert invoice.credited_invoice is not None
        notes.append(
            _("Credit note for invoice %(number)s: %(reason)s")
            % {"number": invoice.credited_invoice.number, "reason": invoice.credit_reason}
        )
    if invoice.vat_note:
        notes.append(invoice.vat_note)
    return tuple(notes)


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    """The finalized invoice or credit note as a document value, in the language and terms frozen at finalization.

    Raises ``DocumentError`` for a draft, for a seller without a bank account in ``settings.KONTOR_SELLER``, or when
    the stored values contradict each other (the document model checks every total).
    """
    if invoice.status != InvoiceStatus.FINALIZED or invoice.issued_at is None:
        raise DocumentError(f"{invoice} is not finalized; only finalized documents are rendered.")
    configured = settings.KONTOR_SELLER
    iban = configured.get("iban", "")
    if not iban:
        raise DocumentError("settings.KONTOR_SELLER has no IBAN: an invoice must say where to pay (BG-16).")
    terms = invoice_terms(invoice)
    language = terms.language if terms is not None else organization_document_language(invoice.organization)
    stored_lines = _stored_lines(invoice)
    references = buyer_references(
        terms=terms,
        organization=invoice.organization,
        line_orders=(line.order_reference or "" for line in stored_lines),
    )
    issue_date = _berlin_date(invoice.issued_at)
    is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    # BG-3: a credit note cites the invoice it corrects; an invoice whose lines bill too-little-billed hours of one
    # earlier invoice cites that one (several are named in the lines' texts).
    corrected = {line.corrects for line in stored_lines if line.corrects is not None}
    credited = invoice.credited_invoice if is_credit_note else (corrected.pop() if len(corrected) == 1 else None)
    with translation.override(language):
        shared_order = shared_order_reference(line.order_reference or "" for line in stored_lines)
        lines = tuple(
            DocumentLine(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                # GPU-hours are rounded to six decimals; the net was computed from the exact seconds.
                quantity_rounded=True,
                period_start=line.service_start,
                period_end=line.service_end,
                note=(
                    _("Your purchase order: %(reference)s") % {"reference": line.order_reference}
                    if line.order_reference and not shared_order
                    else ""
                ),
            )
            for line in stored_lines
        )
        notes = _notes(invoice)
        vat_breakdown = _vat_breakdown(invoice)
        if is_credit_note:
            payment_terms = _("The amount will be credited to your account.")
            due_date = None
        else:
            due_date = issue_date + timedelta(days=PAYMENT_DAYS)
            payment_terms = _("Payable without deduction within %(days)d days, by %(date)s.") % {
                "days": PAYMENT_DAYS,
                "date": document_date(due_date, language),
            }
    return InvoiceDocument(
        number=invoice.number,
        type_code=CREDIT_NOTE if is_credit_note else INVOICE,
        issue_date=issue_date,
        period_start=_berlin_date(invoice.period_start),
        # The stored end is the first instant of the next month; the document names the last day supplied.
        period_end=_berlin_date(invoice.period_end) - timedelta(days=1),
        seller=_seller(invoice),
        buyer=_buyer(invoice),
        lines=lines,
        net_amount=invoice.net_amount,
        vat_breakdown=vat_breakdown,
        vat_amount=invoice.vat_amount,
        gross_amount=invoice.gross_amount,
        payment_terms=payment_terms,
        seller_iban=iban,
        seller_bic=configured.get("bic", ""),
        notes=notes,
        preceding_invoice_number=credited.number if credited is not None else "",
        preceding_invoice_date=(
            _berlin_date(credited.issued_at) if credited is not None and credited.issued_at is not None else None
        ),
        due_date=due_date,
        buyer_reference=references.buyer_reference,
        order_reference=references.order_reference,
        seller_contact=(
            Contact(terms.seller_contact_name, terms.seller_contact_phone, terms.seller_contact_email)
            if terms is not None
            else None
        ),
        currency=invoice.currency,
        language=language,
    )
