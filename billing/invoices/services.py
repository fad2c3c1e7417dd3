"""Invoices and credit notes: drafting from metered usage, finalizing with a gapless number, crediting.

Rules, in one place:
- A billing month is the calendar month in Europe/Berlin; usage hours are UTC, so a month starts at 22:00 or 23:00
  UTC of the previous day depending on daylight saving time. Only hours that have fully passed are billed.
- A line groups the month's uninvoiced usage records of one (meter, flavor, unit price). Its quantity is GPU-hours
  to six decimals; its net is the exact GPU-seconds x unit price / 3600, rounded once, half-up to the cent.
- VAT is the organization's treatment (``core.vat.vat_treatment``), computed per category on the sum of the
  rounded line nets (``vat_breakdown``). No other rounding happens.
- Finalizing recomputes the lines from the records it locks, numbers the document, marks those records invoiced
  and links them to the invoice, all in one transaction: what is marked is exactly what is billed.
- Credit notes (381) cite a finalized invoice, carry positive amounts and are finalized at once, numbered from
  the same series. They never credit more than the invoice's net minus earlier credit notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.choices import InvoiceKind, InvoiceStatus
from billing.documents.language import organization_document_language
from billing.documents.terms import DocumentTermsError, invoice_terms_freeze, seller_contact
from billing.invoices.models import Invoice, InvoiceCorrectionUsage, InvoiceLine, InvoiceReview, InvoiceUsage
from billing.invoices.numbering import document_number_next
from billing.invoices.rendering import RENDER_TASK
from billing.invoices.review import (
    InvoiceReviewError,
    draft_content_hash,
    invoice_review,
    review_get,
    review_invalidate,
)
from billing.lines import CorrectedInvoice, LineAmounts, LineKey, LineUsage, lines_from_usage, usage_sums
from billing.periods import BERLIN, BillingPeriod, InvoiceError, billing_period
from core.events import publish
from core.money import round_money
from core.tasks import enqueue_on_commit
from core.vat import VatCategory, VatTreatment, vat_breakdown, vat_treatment
from metering.models import UsageCorrection, UsageRecord
from tenants.audit import Actor, audit_record
from tenants.models import Organization
from tenants.services import InvalidTransitionError

QUANTITY_PLACES = Decimal("0.000001")
ZERO = Decimal("0.00")


def _period_of(invoice: Invoice) -> BillingPeriod:
    period = BillingPeriod.containing(invoice.period_start)
    if (period.start, period.end) != (invoice.period_start, invoice.period_end):
        raise InvoiceError(f"{invoice} does not cover one Berlin calendar month.")
    return period


def _billable_records(
    *, organization: Organization, period: BillingPeriod, now: datetime, lock: bool
) -> list[UsageRecord]:
    records = (
        UsageRecord.objects.for_organization(organization)
        .filter(
            invoiced_at__isnull=True, hour__gte=period.start, hour__lt=period.end, hour__lte=now - timedelta(hours=1)
        )
        .select_related("flavor", "reservation")
        .order_by("pk")
    )
    if lock:
        records = records.select_for_update(of=("self",))
    return list(records)


def _sum_seconds(records: Iterable[UsageRecord]) -> dict[LineKey, LineUsage]:
    return usage_sums(
        (
            LineKey(
                record.meter,
                record.flavor.slug,
                record.unit_price,
                record.flavor.gpu_count,
                record.reservation.purchase_order_reference,
            ),
            record.quantity,
            record.hour,
        )
        for record in records
    )


@dataclass(frozen=True)
class PendingCorrections:
    """Positive corrections (billed too little) a month's invoice bills, and the invoices they correct."""

    corrections: list[UsageCorrection]
    corrected_by_record: dict[int, Invoice]  # record id -> the finalized invoice that billed it


def _pending_corrections(*, organization: Organization, period: BillingPeriod, lock: bool) -> PendingCorrections:
    """Uninvoiced positive corrections found before the end of ``period`` of hours that an earlier month's invoice
    billed: the next invoice bills them as their own lines (negative ones become credit notes instead)."""
    billed = {
        usage.record_id: usage.invoice
        for usage in InvoiceUsage.objects.for_organization(organization)
        .filter(
            invoice__status=InvoiceStatus.FINALIZED,
            invoice__period_start__lt=period.start,
            record__corrections__credited_at__isnull=True,
            record__corrections__quantity_delta__gt=0,
        )
        .select_related("invoice")
        .distinct()
    }
    corrections = (
        UsageCorrection.objects.for_organization(organization)
        .filter(
            credited_at__isnull=True,
            quantity_delta__gt=0,
            created_at__lt=period.end,
            record_id__in=list(billed),
        )
        .select_related("record__flavor", "record__reservation")
        .order_by("pk")
    )
    if lock:
        corrections = corrections.select_for_update(of=("self",))
    return PendingCorrections(corrections=list(corrections), corrected_by_record=billed)


def _draft_lines(
    *, records: Sequence[UsageRecord], pending: PendingCorrections, period: BillingPeriod
) -> list[LineAmounts]:
    """The month's usage lines, then one line per (corrected invoice, meter, flavor, price, PO) of the corrections,
    worded in the active language."""
    sums = _sum_seconds(records)
    corrected: dict[int, CorrectedInvoice] = {}
    for correction in pending.corrections:
        invoice = pending.corrected_by_record[correction.record_id]
        month = invoice.period_start.astimezone(BERLIN)
        corrected[invoice.pk] = CorrectedInvoice(invoice.number, month.year, month.month)
    sums.update(
        usage_sums(
            (
                LineKey(
                    correction.record.meter,
                    correction.record.flavor.slug,
                    correction.unit_price,
                    correction.record.flavor.gpu_count,
                    correction.record.reservation.purchase_order_reference,
                    pending.corrected_by_record[correction.record_id].pk,
                ),
                correction.quantity_delta,
                correction.record.hour,
            )
            for correction in pending.corrections
        )
    )
    return lines_from_usage(sums, period, corrected)


def _snapshot(invoice: Invoice, organization: Organization, treatment: VatTreatment) -> None:
    seller = settings.KONTOR_SELLER
    invoice.seller_legal_name = seller["legal_name"]
    invoice.seller_street = seller["street"]
    invoice.seller_postal_code = seller["postal_code"]
    invoice.seller_city = seller["city"]
    invoice.seller_country = seller["country"]
    invoice.seller_vat_id = seller["vat_id"]
    invoice.buyer_legal_name = organization.legal_name
    invoice.buyer_street = organization.street
    invoice.buyer_postal_code = organization.postal_code
    invoice.buyer_city = organization.city
    invoice.buyer_country = organization.country
    invoice.buyer_vat_id = organization.vat_id
    invoice.vat_category = treatment.category
    invoice.vat_rate = treatment.rate
    invoice.vat_note = treatment.note


def _totals(invoice: Invoice, nets: Sequence[Decimal], treatment: VatTreatment) -> None:
    breakdown = vat_breakdown((treatment, net) for net in nets)
    invoice.net_amount = sum((line.taxable_amount for line in breakdown), ZERO)
    invoice.vat_amount = sum((line.tax_amount for line in breakdown), ZERO)
    invoice.gross_amount = invoice.net_amount + invoice.vat_amount


def _current_lines(invoice: Invoice) -> list[LineAmounts]:
    return [
        LineAmounts(
            line.description,
            line.meter,
            line.flavor_slug,
            line.quantity,
            line.unit_price,
            line.net_amount,
            line.service_start,
            line.service_end,
            line.order_reference or "",
            line.corrects_id,
        )
        for line in InvoiceLine.objects.for_organization(invoice.organization)
        .filter(invoice=invoice)
        .order_by("position")
    ]


def _write_draft(*, invoice: Invoice, organization: Organization, lines: list[LineAmounts]) -> bool:
    """Bring a draft (locked by the caller) to these lines and the organization's current data.

    Returns whether anything was written: refreshing an unchanged draft writes nothing.
    """
    treatment = vat_treatment(organization)
    before = (_current_lines(invoice), _header(invoice)) if invoice.pk is not None else None
    _snapshot(invoice, organization, treatment)
    _totals(invoice, [line.net_amount for line in lines], treatment)
    if before == (lines, _header(invoice)):
        return False
    invoice.save()
    InvoiceLine.objects.for_organization(organization).filter(invoice=invoice).delete()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            organization=organization,
            invoice=invoice,
            position=position,
            description=line.description,
            meter=line.meter,
            flavor_slug=line.flavor_slug,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net_amount=line.net_amount,
            service_start=line.service_start,
            service_end=line.service_end,
            order_reference=line.order_reference or None,
            corrects_id=line.corrects_id,
            vat_category=treatment.category,
            vat_rate=treatment.rate,
        )
        for position, line in enumerate(lines, start=1)
    )
    return True


HEADER_FIELDS = (
    "seller_legal_name",
    "seller_street",
    "seller_postal_code",
    "seller_city",
    "seller_country",
    "seller_vat_id",
    "buyer_legal_name",
    "buyer_street",
    "buyer_postal_code",
    "buyer_city",
    "buyer_country",
    "buyer_vat_id",
    "vat_category",
    "vat_rate",
    "vat_note",
    "net_amount",
    "vat_amount",
    "gross_amount",
)


def _header(invoice: Invoice) -> tuple[object, ...]:
    return tuple(getattr(invoice, field) for field in HEADER_FIELDS)


def invoice_draft_for_month(
    *, organization: Organization, year: int, month: int, now: datetime | None = None
) -> Invoice | None:
    """Draft (or refresh) the organization's invoice for a Berlin month from its uninvoiced, fully passed hours.

    Idempotent: the one draft of the month is reused and rewritten only where it differs. Returns None when there
    is nothing to bill (a draft left without usage is removed). ``now`` is the moment of drafting (default: the
    clock; the demo data drafts its history back then).
    """
    period = billing_period(year=year, month=month)
    now = now or timezone.now()
    with transaction.atomic():
        # Serializes drafting per organization, so two runs cannot both create the month's draft.
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        invoice = (
            Invoice.objects.for_organization(organization)
            .select_for_update()
            .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT, period_start=period.start)
            .first()
        )
        records = _billable_records(organization=organization, period=period, now=now, lock=False)
        pending = _pending_corrections(organization=organization, period=period, lock=False)
        if not records and not pending.corrections:
            if invoice is not None:
                InvoiceReview.objects.for_organization(organization).filter(invoice=invoice).delete()
                invoice.delete()
            return None
        if invoice is None:
            invoice = Invoice(
                organization=organization,
                kind=InvoiceKind.INVOICE,
                period_start=period.start,
                period_end=period.end,
                created_at=now,
            )
        with translation.override(organization_document_language(organization)):
            lines = _draft_lines(records=records, pending=pending, period=period)
            changed = _write_draft(invoice=invoice, organization=organization, lines=lines)
        review = review_get(invoice) if changed else None
        if review is not None:
            current = draft_content_hash(lines=lines, header=_header(invoice))
            if current != review.content_hash:
                review_invalidate(
                    actor=Actor.system("billing.draft_invoices"),
                    review=review,
                    content_hash=current,
                    reason="the draft was refreshed from changed usage",
                )
        return invoice


def invoice_mark_reviewed(*, actor: Actor, invoice: Invoice) -> InvoiceReview:
    """An operator reviewed the draft as it is stored now: its lines and totals are what finalization may number."""
    with transaction.atomic():
        locked = Invoice.objects.unscoped().select_for_update().select_related("organization").get(pk=invoice.pk)
        content_hash = draft_content_hash(lines=_current_lines(locked), header=_header(locked))
        return invoice_review(actor=actor, invoice=locked, content_hash=content_hash)


# draft → finalized, once: a finalized document never changes again (and the database refuses it, billing/0002).
INVOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.FINALIZED}),
    InvoiceStatus.FINALIZED: frozenset(),
}


def invoice_transition(
    *,
    actor: Actor,
    invoice: Invoice,
    from_status: InvoiceStatus,
    to_status: InvoiceStatus,
    values: Mapping[str, Any],
    action: str,
    data: dict[str, Any],
) -> bool:
    """Compare-and-set ``from_status`` → ``to_status`` (and ``values``) in one UPDATE, audited as ``action`` in the
    same transaction; ``invoice`` is brought up to date in memory.

    Refuses a move the table does not allow (``InvalidTransitionError``); returns False and changes nothing when the
    document is no longer in ``from_status``. The only place that writes ``Invoice.status``.
    """
    if to_status not in INVOICE_TRANSITIONS[from_status]:
        raise InvalidTransitionError(
            _("A billing document cannot go from %(from)s to %(to)s.")
            % {"from": InvoiceStatus(from_status).label, "to": InvoiceStatus(to_status).label},
            code="invalid_transition",
        )
    with transaction.atomic():
        moved = Invoice.objects.unscoped().filter(pk=invoice.pk, status=from_status).update(status=to_status, **values)
        if not moved:
            return False
        for name, value in {**values, "status": to_status}.items():
            setattr(invoice, name, value)
        audit_record(actor=actor, action=action, target=invoice, organization=invoice.organization, data=data)
    return True


def _finalize_locked(
    *, actor: Actor, invoice: Invoice, action: str, data: dict[str, object], now: datetime | None = None
) -> Invoice:
    """Number and finalize a locked draft; the caller's transaction makes numbering and status one change.

    Missing seller contact settings (BG-6) refuse the finalization before a number is taken; once the transition
    succeeded, the e-invoice terms (language, buyer reference, seller contact) are frozen in the same transaction.
    ``now`` is the issue time (default: the clock).
    """
    now = now or timezone.now()
    try:
        seller_contact()
    except DocumentTermsError as error:
        raise InvoiceError(str(error)) from error
    number = document_number_next(year=now.astimezone(BERLIN).year)
    finalized = invoice_transition(
        actor=actor,
        invoice=invoice,
        from_status=InvoiceStatus.DRAFT,
        to_status=InvoiceStatus.FINALIZED,
        values={
            "number": number.text,
            "number_year": number.year,
            "number_sequence": number.sequence,
            "issued_at": now,
        },
        action=action,
        data={
            "number": number.text,
            "net": str(invoice.net_amount),
            "vat": str(invoice.vat_amount),
            "gross": str(invoice.gross_amount),
            **data,
        },
    )
    if not finalized:  # raising rolls the number back with the caller's transaction: no gap
        raise InvoiceError(f"{invoice} is not a draft invoice; only drafts can be finalized.")
    invoice_terms_freeze(invoice=invoice)
    kind = "invoice.finalized" if invoice.kind == InvoiceKind.INVOICE else "credit_note.issued"
    publish(kind, organization_id=invoice.organization_id, subject_id=invoice.pk)
    return invoice


def invoice_finalize(
    *, actor: Actor, invoice: Invoice, require_review: bool | None = None, now: datetime | None = None
) -> Invoice:
    """draft → finalized: recompute the lines from the locked records and positive corrections, check them against
    the review, number, mark the records invoiced and the corrections billed, audit.

    Refuses a document that is not a draft invoice, and one with nothing left to bill. A reviewed draft is finalized
    only with exactly the reviewed figures: when the recomputed lines differ (usage changed after the review), the
    review is invalidated (audited, committed) and ``InvoiceReviewError`` says to review again; nothing is numbered.
    An unreviewed draft is refused when ``require_review`` (default ``settings.KONTOR_INVOICE_REVIEW_REQUIRED``).
    ``now`` is the issue time (default: the clock; the demo data finalizes its history back then).
    """
    now = now or timezone.now()
    if require_review is None:
        require_review = settings.KONTOR_INVOICE_REVIEW_REQUIRED
    refusal = ""
    with transaction.atomic():
        locked = Invoice.objects.unscoped().select_for_update().select_related("organization").get(pk=invoice.pk)
        if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.DRAFT:
            raise InvoiceError(f"{locked} is not a draft invoice; only drafts can be finalized.")
        organization = locked.organization
        period = _period_of(locked)
        review = review_get(locked)
        if review is None and require_review:
            raise InvoiceReviewError(
                _("%(invoice)s has not been reviewed: review its lines first, then finalize.") % {"invoice": locked}
            )
        records = _billable_records(organization=organization, period=period, now=now, lock=True)
        pending = _pending_corrections(organization=organization, period=period, lock=True)
        if not records and not pending.corrections:
            raise InvoiceError(f"{locked} has no usage left to bill.")
        # The lines and the VAT note are worded here, in the organization's document language, whatever language
        # the worker or the operator's request runs in.
        with translation.override(organization_document_language(organization)):
            lines = _draft_lines(records=records, pending=pending, period=period)
            _write_draft(invoice=locked, organization=organization, lines=lines)
        current = draft_content_hash(lines=lines, header=_header(locked))
        if review is not None and review.content_hash != current:
            refusal = _(
                "%(invoice)s changed after %(reviewer)s reviewed it (its usage was metered again): the review was "
                "withdrawn and nothing was finalized. Review the new figures, then finalize."
            ) % {"invoice": locked, "reviewer": review.reviewed_by_label}
            review_invalidate(
                actor=actor, review=review, content_hash=current, reason="finalization found other figures"
            )
        else:
            _finalize_locked(
                actor=actor,
                invoice=locked,
                action="billing.invoice_finalized",
                data={
                    "records": len(records),
                    "corrections": len(pending.corrections),
                    "content_hash": current,
                    "reviewed_by": review.reviewed_by_label if review is not None else "",
                },
                now=now,
            )
            assert locked.issued_at is not None
            UsageRecord.objects.for_organization(organization).filter(pk__in=[record.pk for record in records]).update(
                invoiced_at=locked.issued_at
            )
            InvoiceUsage.objects.bulk_create(
                InvoiceUsage(organization=organization, invoice=locked, record=record) for record in records
            )
            UsageCorrection.objects.for_organization(organization).filter(
                pk__in=[correction.pk for correction in pending.corrections]
            ).update(credited_at=locked.issued_at)
            InvoiceCorrectionUsage.objects.bulk_create(
                InvoiceCorrectionUsage(organization=organization, invoice=locked, correction=correction)
                for correction in pending.corrections
            )
            enqueue_on_commit(RENDER_TASK, locked.pk)
    if refusal:  # raised after the commit: the withdrawn review and the refreshed draft stay
        raise InvoiceReviewError(refusal)
    invoice.refresh_from_db()
    return invoice


@dataclass(frozen=True)
class CreditLine:
    """A line an operator credits by hand: GPU-hours (six decimals) at a unit price, described."""

    description: str
    meter: str
    flavor_slug: str
    quantity: Decimal
    unit_price: Decimal


def _credit_lines_from_corrections(invoice: Invoice) -> tuple[list[LineAmounts], list[UsageCorrection]]:
    """Negative corrections (GPU-seconds billed too many) of the records this invoice billed, not yet credited."""
    corrections = list(
        UsageCorrection.objects.for_organization(invoice.organization)
        .select_for_update(of=("self",))
        .filter(
            credited_at__isnull=True,
            quantity_delta__lt=0,
            record_id__in=InvoiceUsage.objects.for_organization(invoice.organization)
            .filter(invoice=invoice)
            .values("record_id"),
        )
        .select_related("record__flavor")
        .order_by("pk")
    )
    sums = usage_sums(
        (
            LineKey(
                correction.record.meter,
                correction.record.flavor.slug,
                correction.unit_price,
                correction.record.flavor.gpu_count,
            ),
            -correction.quantity_delta,
            correction.record.hour,
        )
        for correction in corrections
    )
    with translation.override(organization_document_language(invoice.organization)):
        return lines_from_usage(sums, _period_of(invoice)), corrections


def credit_note_create(
    *,
    actor: Actor,
    invoice: Invoice,
    reason: str,
    lines: Sequence[CreditLine] | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue a finalized credit note (381) citing a finalized invoice, numbered from the same series.

    With ``lines`` the operator names what is credited; without, the invoice's uncredited negative usage
    corrections are credited (and marked ``credited_at``). The VAT treatment and buyer are the cited invoice's:
    the credit note corrects that supply. Refuses an empty credit, a blank reason, and crediting more than the
    invoice's net minus earlier credit notes. ``now`` is the issue time (default: the clock).
    """
    if not reason.strip():
        raise InvoiceError("A credit note needs a reason.")
    with transaction.atomic():
        cited = Invoice.objects.unscoped().select_for_update().select_related("organization").get(pk=invoice.pk)
        if cited.kind != InvoiceKind.INVOICE or cited.status != InvoiceStatus.FINALIZED:
            raise InvoiceError(f"{cited} is not a finalized invoice; only those can be credited.")
        corrections: list[UsageCorrection] = []
        if lines is None:
            amounts, corrections = _credit_lines_from_corrections(cited)
        else:
            amounts = [
                LineAmounts(
                    line.description,
                    line.meter,
                    line.flavor_slug,
                    line.quantity.quantize(QUANTITY_PLACES),
                    line.unit_price,
                    round_money(line.quantity * line.unit_price),
                    _period_of(cited).start.date(),
                    (_period_of(cited).end - timedelta(days=1)).date(),
                )
                for line in lines
            ]
        if not amounts or any(line.quantity <= 0 or line.unit_price < 0 for line in amounts):
            raise InvoiceError("A credit note needs at least one line with a positive quantity.")
        credited_before = (
            Invoice.objects.for_organization(cited.organization)
            .filter(credited_invoice=cited)
            .aggregate(total=Sum("net_amount"))["total"]
            or ZERO
        )
        total = sum((line.net_amount for line in amounts), ZERO)
        if credited_before + total > cited.net_amount:
            raise InvoiceError(
                f"Crediting {total} EUR would exceed {cited}: net {cited.net_amount} EUR, {credited_before} EUR "
                "already credited."
            )
        note = Invoice(
            organization=cited.organization,
            kind=InvoiceKind.CREDIT_NOTE,
            period_start=cited.period_start,
            period_end=cited.period_end,
            credited_invoice=cited,
            credit_reason=reason,
            created_at=now or timezone.now(),
        )
        for field in HEADER_FIELDS[:12]:  # parties as on the cited invoice
            setattr(note, field, getattr(cited, field))
        treatment = VatTreatment(VatCategory(cited.vat_category), cited.vat_rate, cited.vat_note)
        note.vat_category, note.vat_rate, note.vat_note = cited.vat_category, cited.vat_rate, cited.vat_note
        _totals(note, [line.net_amount for line in amounts], treatment)
        note.save()
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                organization=cited.organization,
                invoice=note,
                position=position,
                description=line.description,
                meter=line.meter,
                flavor_slug=line.flavor_slug,
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                service_start=line.service_start,
                service_end=line.service_end,
                vat_category=cited.vat_category,
                vat_rate=cited.vat_rate,
            )
            for position, line in enumerate(amounts, start=1)
        )
        _finalize_locked(
            actor=actor,
            invoice=note,
            action="billing.credit_note_issued",
            data={"credited_invoice": cited.number, "reason": reason, "corrections": len(corrections)},
            now=now,
        )
        if corrections:
            UsageCorrection.objects.for_organization(cited.organization).filter(
                pk__in=[correction.pk for correction in corrections]
            ).update(credited_at=note.issued_at)
        enqueue_on_commit(RENDER_TASK, note.pk)
        return note


@dataclass(frozen=True)
class BillingRunResult:
    documents: int  # drafts written or refreshed, or invoices finalized
    failures: int


def invoices_draft_due(*, now: datetime) -> BillingRunResult:
    """Draft every (organization, Berlin month) before the current month that has uninvoiced usage, or uninvoiced
    positive corrections found in it.

    Each draft is its own transaction; a second run finds the same drafts and changes nothing.
    """
    current = now.astimezone(BERLIN)
    current_month_start = datetime(current.year, current.month, 1, tzinfo=BERLIN)
    due = (
        UsageRecord.objects.unscoped()
        .filter(invoiced_at__isnull=True, hour__lt=current_month_start)
        .annotate(month=TruncMonth("hour", tzinfo=BERLIN))
        .values_list("organization_id", "month")
        .distinct()
        .order_by("organization_id", "month")
    )
    # Positive corrections found in a month are billed on that month's invoice, with or without usage in it.
    found = (
        UsageCorrection.objects.unscoped()
        .filter(credited_at__isnull=True, quantity_delta__gt=0, created_at__lt=current_month_start)
        .annotate(month=TruncMonth("created_at", tzinfo=BERLIN))
        .values_list("organization_id", "month")
        .distinct()
    )
    documents = 0
    for organization_id, month in sorted(set(due) | set(found)):
        organization = Organization.objects.get(pk=organization_id)
        local = month.astimezone(BERLIN)
        if invoice_draft_for_month(organization=organization, year=local.year, month=local.month) is not None:
            documents += 1
    return BillingRunResult(documents=documents, failures=0)


def invoices_finalize_due(*, now: datetime) -> BillingRunResult:
    """Finalize every draft invoice whose month ended at least ``KONTOR_INVOICE_GRACE_DAYS`` days ago."""
    cutoff = now - timedelta(days=settings.KONTOR_INVOICE_GRACE_DAYS)
    due = list(
        Invoice.objects.unscoped()
        .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT, period_end__lte=cutoff)
        .order_by("period_start", "pk")
        .values_list("pk", flat=True)
    )
    finalized = failures = 0
    actor = Actor.system("billing.finalize_invoices")
    for pk in due:
        invoice = Invoice.objects.unscoped().get(pk=pk)
        try:
            invoice_finalize(actor=actor, invoice=invoice)
        except InvoiceError:
            failures += 1  # finalized concurrently, or nothing left to bill: the next draft run settles it
            continue
        finalized += 1
    return BillingRunResult(documents=finalized, failures=failures)


__all__ = [
    "BillingPeriod",
    "BillingRunResult",
    "CreditLine",
    "InvoiceError",
    "billing_period",
    "credit_note_create",
    "invoice_draft_for_month",
    "invoice_finalize",
    "invoice_mark_reviewed",
    "invoice_transition",
    "invoices_draft_due",
    "invoices_finalize_due",
]
