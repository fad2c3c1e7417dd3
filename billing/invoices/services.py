"""Invoices and credit notes: drafting from metered usage, finalizing with a gapless number, crediting.

Rules, in one place:
- A billing month is the calendar month in Europe/Berlin; usage hours are UTC, so a month starts at 22:00 or 23:00
  UTC of the previous day depending on daylight saving time. Only hours that have fully passed are billed.
- A line groups the month's uninvoiced usage records of one (meter, flavor, unit price). Its quantity is GPU-hours
  to six decimals; its net is the exact GPU-seconds x unit price / 3600, rounded once, half-up to the cent.
- VAT is the organization's treatment (``core.vat.vat_treatment``), computed per category on the sum of the
  rounded line nets (``vat_breakdown``). No other rounding happens.
- Finalizing recomputes the lines while it holds the organization's row ``FOR UPDATE`` (metering waits for it),
  numbers the document, seals the hours it billed (``metering.services.usage_seal``: the period's passed hours no
  seal covered yet) and links the seals to the invoice (``InvoiceSeal``), all in one transaction: what is sealed is
  exactly what is billed, and nothing is written per usage record.
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
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.choices import InvoiceKind, InvoiceStatus
from billing.documents.language import organization_document_language, organization_document_languages
from billing.documents.terms import (
    DocumentTermsError,
    invoice_terms_freeze,
    invoices_terms_freeze,
    seller_contact,
)
from billing.invoices.models import (
    Invoice,
    InvoiceCorrectionUsage,
    InvoiceLine,
    InvoiceReview,
    InvoiceSeal,
    InvoiceUsage,
)
from billing.invoices.numbering import DocumentNumber, document_number_next, document_numbers_next
from billing.invoices.rendering import RENDER_TASK
from billing.invoices.review import (
    InvoiceReviewError,
    draft_content_hash,
    invoice_review,
    review_invalidate,
)
from billing.invoices.usage import OrganizationUsage, billable_usage, unsealed_hours
from billing.lines import CorrectedInvoice, LineAmounts, LineKey, LineUsage, lines_from_usage, usage_sums
from billing.periods import BERLIN, BillingPeriod, InvoiceError, billing_period
from core.events import publish, publish_many
from core.money import round_money
from core.tasks import enqueue_on_commit
from core.vat import VatCategory, VatTreatment, vat_breakdown, vat_treatment
from metering.models import UsageCorrection, UsageRecord, sealed
from metering.services import usage_seal, usage_seals_of
from tenants.audit import Actor, AuditEntry, audit_record, audit_record_many
from tenants.models import Organization
from tenants.services import InvalidTransitionError

QUANTITY_PLACES = Decimal("0.000001")
ZERO = Decimal("0.00")


def _period_of(invoice: Invoice) -> BillingPeriod:
    period = BillingPeriod.containing(invoice.period_start)
    if (period.start, period.end) != (invoice.period_start, invoice.period_end):
        raise InvoiceError(f"{invoice} does not cover one Berlin calendar month.")
    return period


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


def _organizations_with_corrections(*, organization_ids: Sequence[int], period: BillingPeriod) -> set[int]:
    """The organizations that may have positive corrections to bill in ``period`` (a superset: one query for a
    batch; ``_pending_corrections`` then decides per organization)."""
    return set(
        UsageCorrection.objects.unscoped()
        .filter(
            organization_id__in=organization_ids,
            credited_at__isnull=True,
            quantity_delta__gt=0,
            created_at__lt=period.end,
        )
        .values_list("organization_id", flat=True)
        .distinct()
    )


NO_CORRECTIONS = PendingCorrections(corrections=[], corrected_by_record={})


def _draft_lines(
    *, sums: Mapping[LineKey, LineUsage], pending: PendingCorrections, period: BillingPeriod
) -> list[LineAmounts]:
    """The month's usage lines (``sums`` as summed by ``billable_usage``), then one line per (corrected invoice,
    meter, flavor, price, PO) of the corrections, worded in the active language."""
    all_sums = dict(sums)
    corrected: dict[int, CorrectedInvoice] = {}
    for correction in pending.corrections:
        invoice = pending.corrected_by_record[correction.record_id]
        month = invoice.period_start.astimezone(BERLIN)
        corrected[invoice.pk] = CorrectedInvoice(invoice.number, month.year, month.month)
    all_sums.update(
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
    return lines_from_usage(all_sums, period, corrected)


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


def _current_lines_of(invoices: Iterable[Invoice]) -> dict[int, list[LineAmounts]]:
    """The stored lines of these saved documents, by invoice ID, in position order (one query)."""
    lines: dict[int, list[LineAmounts]] = {invoice.pk: [] for invoice in invoices if invoice.pk is not None}
    if not lines:
        return lines
    for line in InvoiceLine.objects.unscoped().filter(invoice_id__in=list(lines)).order_by("invoice_id", "position"):
        lines[line.invoice_id].append(
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
        )
    return lines


def _current_lines(invoice: Invoice) -> list[LineAmounts]:
    return _current_lines_of([invoice])[invoice.pk]


@dataclass
class _Draft:
    """A draft brought to its lines and the organization's current data in memory; ``changed`` when it must be
    written (a new draft always is)."""

    invoice: Invoice
    organization: Organization
    treatment: VatTreatment
    lines: list[LineAmounts]
    changed: bool
    is_new: bool


def _draft_prepare(
    *, invoice: Invoice, organization: Organization, lines: list[LineAmounts], stored: list[LineAmounts] | None
) -> _Draft:
    """Snapshot the parties and VAT treatment (worded in the active language) and total the lines; compare with
    what is stored (``stored``: the saved draft's lines, None for a new one)."""
    treatment = vat_treatment(organization)
    before = (stored, _header(invoice)) if invoice.pk is not None else None
    _snapshot(invoice, organization, treatment)
    _totals(invoice, [line.net_amount for line in lines], treatment)
    return _Draft(
        invoice=invoice,
        organization=organization,
        treatment=treatment,
        lines=lines,
        changed=before != (lines, _header(invoice)),
        is_new=invoice.pk is None,
    )


def _drafts_write(drafts: Sequence[_Draft]) -> list[_Draft]:
    """Write the changed drafts (locked by the caller) and their lines in a few bulk statements; an unchanged draft
    writes nothing. Returns the drafts written."""
    changed = [draft for draft in drafts if draft.changed]
    if not changed:
        return []
    Invoice.objects.bulk_create([draft.invoice for draft in changed if draft.is_new])
    refreshed = [draft.invoice for draft in changed if not draft.is_new]
    if refreshed:
        Invoice.objects.unscoped().bulk_update(refreshed, HEADER_FIELDS)
        InvoiceLine.objects.unscoped().filter(invoice_id__in=[invoice.pk for invoice in refreshed]).delete()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            organization=draft.organization,
            invoice=draft.invoice,
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
            vat_category=draft.treatment.category,
            vat_rate=draft.treatment.rate,
        )
        for draft in changed
        for position, line in enumerate(draft.lines, start=1)
    )
    for draft in changed:
        draft.is_new = False
    return changed


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


#: Organizations drafted per transaction: their rows stay locked until it commits.
DRAFT_BATCH = 500


def invoices_draft_for_month(
    *, organization_ids: Iterable[int], year: int, month: int, now: datetime | None = None
) -> dict[int, Invoice]:
    """Draft (or refresh) the Berlin month's invoice of each of these organizations from its uninvoiced, fully
    passed hours and positive corrections, set-based: per batch of ``DRAFT_BATCH`` organizations one transaction,
    one statement summing all their usage into lines (``billable_usage``) and bulk writes.

    Idempotent: the one draft of the month is reused and rewritten only where it differs (a reviewed draft that
    changed loses its review, audited). Returns the drafts by organization ID; an organization with nothing to bill
    has none (a draft left without usage is removed). ``now`` is the moment of drafting (default: the clock; the
    demo data drafts its history back then).
    """
    period = billing_period(year=year, month=month)
    now = now or timezone.now()
    ids = sorted(set(organization_ids))
    drafts: dict[int, Invoice] = {}
    for start in range(0, len(ids), DRAFT_BATCH):
        drafts.update(_draft_batch(organization_ids=ids[start : start + DRAFT_BATCH], period=period, now=now))
    return drafts


def _draft_batch(*, organization_ids: Sequence[int], period: BillingPeriod, now: datetime) -> dict[int, Invoice]:
    with transaction.atomic():
        # Serializes drafting per organization, so two runs cannot both create the month's draft; NO KEY UPDATE
        # (finalizing takes FOR UPDATE), so metering (FOR KEY SHARE on the organizations) need not wait for it.
        organizations = list(
            Organization.objects.select_for_update(no_key=True).filter(pk__in=organization_ids).order_by("pk")
        )
        ids = [organization.pk for organization in organizations]
        existing = {
            invoice.organization_id: invoice
            for invoice in Invoice.objects.unscoped()
            .select_for_update()
            .filter(
                organization_id__in=ids,
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.DRAFT,
                period_start=period.start,
            )
        }
        usage = billable_usage(organization_ids=ids, period=period, now=now)
        with_corrections = _organizations_with_corrections(organization_ids=ids, period=period)
        stored = _current_lines_of(existing.values())
        languages = organization_document_languages(ids)
        drafts: list[_Draft] = []
        emptied: list[Invoice] = []
        for organization in organizations:
            invoice = existing.get(organization.pk)
            pending = (
                _pending_corrections(organization=organization, period=period, lock=False)
                if organization.pk in with_corrections
                else NO_CORRECTIONS
            )
            sums = usage[organization.pk].sums if organization.pk in usage else {}
            if not sums and not pending.corrections:
                if invoice is not None:
                    emptied.append(invoice)
                continue
            if invoice is None:
                invoice = Invoice(
                    organization=organization,
                    kind=InvoiceKind.INVOICE,
                    period_start=period.start,
                    period_end=period.end,
                    created_at=now,
                )
            else:
                invoice.organization = organization
            with translation.override(languages[organization.pk]):
                lines = _draft_lines(sums=sums, pending=pending, period=period)
                drafts.append(
                    _draft_prepare(
                        invoice=invoice, organization=organization, lines=lines, stored=stored.get(invoice.pk)
                    )
                )
        if emptied:
            InvoiceReview.objects.unscoped().filter(invoice__in=emptied).delete()
            Invoice.objects.unscoped().filter(pk__in=[invoice.pk for invoice in emptied]).delete()
        written = _drafts_write(drafts)
        refreshed = {draft.invoice.pk: draft for draft in written}
        for review in InvoiceReview.objects.unscoped().filter(invoice_id__in=list(refreshed)).order_by("pk"):
            draft = refreshed[review.invoice_id]
            review.invoice = draft.invoice
            current = draft_content_hash(lines=draft.lines, header=_header(draft.invoice))
            if current != review.content_hash:
                review_invalidate(
                    actor=Actor.system("billing.draft_invoices"),
                    review=review,
                    content_hash=current,
                    reason="the draft was refreshed from changed usage",
                )
        return {draft.organization.pk: draft.invoice for draft in drafts}


def invoice_draft_for_month(
    *, organization: Organization, year: int, month: int, now: datetime | None = None
) -> Invoice | None:
    """Draft (or refresh) the organization's invoice for a Berlin month from its uninvoiced, fully passed hours
    (``invoices_draft_for_month`` for one organization).

    Idempotent: the one draft of the month is reused and rewritten only where it differs. Returns None when there
    is nothing to bill (a draft left without usage is removed).
    """
    drafts = invoices_draft_for_month(organization_ids=[organization.pk], year=year, month=month, now=now)
    return drafts.get(organization.pk)


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


#: Invoices finalized per transaction: one locked step of the number series numbers all of them.
FINALIZE_BATCH = 200


@dataclass(frozen=True)
class FinalizeResult:
    """What ``invoices_finalize`` did: the invoices it finalized (numbered in the order asked), and why the others
    were not (by invoice ID)."""

    finalized: list[Invoice]
    refused: dict[int, InvoiceError]


def invoices_finalize(
    *, actor: Actor, invoice_ids: Iterable[int], require_review: bool | None = None, now: datetime | None = None
) -> FinalizeResult:
    """draft → finalized for many invoices, ``FINALIZE_BATCH`` per transaction (see ``invoice_finalize`` for the
    rules, which hold per invoice). An invoice that cannot be finalized is refused (``refused``) without a number;
    a failure of the whole batch (the seller contact is missing, the database fails) refuses each of its invoices
    and numbers none."""
    ids = list(dict.fromkeys(invoice_ids))
    finalized: list[Invoice] = []
    refused: dict[int, InvoiceError] = {}
    for start in range(0, len(ids), FINALIZE_BATCH):
        batch = ids[start : start + FINALIZE_BATCH]
        try:
            result = _finalize_batch(actor=actor, invoice_ids=batch, require_review=require_review, now=now)
        except InvoiceError as error:
            refused.update(dict.fromkeys(batch, error))
            continue
        finalized += result.finalized
        refused.update(result.refused)
    return FinalizeResult(finalized=finalized, refused=refused)


@dataclass
class _Finalizing:
    draft: _Draft
    usage: OrganizationUsage
    pending: PendingCorrections
    review: InvoiceReview | None
    hours: list[tuple[datetime, datetime]]  # the ranges of hours it bills, to seal
    content_hash: str = ""


def _finalize_batch(
    *, actor: Actor, invoice_ids: Sequence[int], require_review: bool | None, now: datetime | None = None
) -> FinalizeResult:
    """Finalize these invoices in one transaction; numbers are taken only for those it finalizes, in the order of
    ``invoice_ids``, in one locked step just before the transition, so any later failure returns them all."""
    if require_review is None:
        require_review = settings.KONTOR_INVOICE_REVIEW_REQUIRED
    refused: dict[int, InvoiceError] = {}
    with transaction.atomic():
        # The organizations first (in ID order, as drafting locks them), then their invoices.
        organization_ids = set(
            Invoice.objects.unscoped().filter(pk__in=invoice_ids).values_list("organization_id", flat=True)
        )
        organizations = {
            organization.pk: organization
            for organization in Organization.objects.select_for_update().filter(pk__in=organization_ids).order_by("pk")
        }
        locked = {
            invoice.pk: invoice
            for invoice in Invoice.objects.unscoped().select_for_update().filter(pk__in=invoice_ids).order_by("pk")
        }
        periods: dict[int, BillingPeriod] = {}
        for pk in invoice_ids:
            if pk not in locked:
                continue
            invoice = locked[pk]
            invoice.organization = organizations[invoice.organization_id]
            if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.DRAFT:
                refused[pk] = InvoiceError(f"{invoice} is not a draft invoice; only drafts can be finalized.")
                continue
            try:
                periods[pk] = _period_of(invoice)
            except InvoiceError as error:
                refused[pk] = error
        reviews = {
            review.invoice_id: review for review in InvoiceReview.objects.unscoped().filter(invoice_id__in=periods)
        }
        for pk in list(periods):
            if pk not in reviews and require_review:
                refused[pk] = InvoiceReviewError(
                    _("%(invoice)s has not been reviewed: review its lines first, then finalize.")
                    % {"invoice": locked[pk]}
                )
                del periods[pk]
        # The records of each invoice's organization and month, summed in one statement per month; the locked
        # organizations keep metering from changing them until this transaction seals their hours.
        now = now or timezone.now()
        usage: dict[int, OrganizationUsage] = {}
        seals = usage_seals_of(locked[pk].organization_id for pk in periods)
        for period in {period.start: period for period in periods.values()}.values():
            month = [pk for pk, invoice_period in periods.items() if invoice_period == period]
            by_organization = billable_usage(
                organization_ids=[locked[pk].organization_id for pk in month], period=period, now=now
            )
            for pk in month:
                usage[pk] = by_organization.get(locked[pk].organization_id, OrganizationUsage())
        with_corrections = {
            period.start: _organizations_with_corrections(
                organization_ids=[locked[pk].organization_id for pk in periods if periods[pk] == period],
                period=period,
            )
            for period in {period.start: period for period in periods.values()}.values()
        }
        languages = organization_document_languages({locked[pk].organization_id for pk in periods})
        stored = _current_lines_of(locked[pk] for pk in periods)
        finalizing: list[_Finalizing] = []
        for pk, period in periods.items():
            invoice = locked[pk]
            organization = invoice.organization
            pending = (
                _pending_corrections(organization=organization, period=period, lock=True)
                if organization.pk in with_corrections[period.start]
                else NO_CORRECTIONS
            )
            if not usage[pk].sums and not pending.corrections:
                refused[pk] = InvoiceError(f"{invoice} has no usage left to bill.")
                continue
            # The lines and the VAT note are worded here, in the organization's document language, whatever
            # language the worker or the operator's request runs in.
            with translation.override(languages[organization.pk]):
                lines = _draft_lines(sums=usage[pk].sums, pending=pending, period=period)
                draft = _draft_prepare(invoice=invoice, organization=organization, lines=lines, stored=stored[pk])
            finalizing.append(
                _Finalizing(
                    draft=draft,
                    usage=usage[pk],
                    pending=pending,
                    review=reviews.get(pk),
                    hours=unsealed_hours(period=period, now=now, seals=seals.get(organization.pk, [])),
                )
            )
        _drafts_write([item.draft for item in finalizing])
        ready: list[_Finalizing] = []
        for item in finalizing:
            invoice = item.draft.invoice
            item.content_hash = draft_content_hash(lines=item.draft.lines, header=_header(invoice))
            review = item.review
            if review is not None and review.content_hash != item.content_hash:
                refused[invoice.pk] = InvoiceReviewError(
                    _(
                        "%(invoice)s changed after %(reviewer)s reviewed it (its usage was metered again): the review "
                        "was withdrawn and nothing was finalized. Review the new figures, then finalize."
                    )
                    % {"invoice": invoice, "reviewer": review.reviewed_by_label}
                )
                review.invoice = invoice
                review_invalidate(
                    actor=actor,
                    review=review,
                    content_hash=item.content_hash,
                    reason="finalization found other figures",
                )
            else:
                ready.append(item)
        if ready:
            _finalize_ready(actor=actor, ready=ready, languages=languages, issued_at=now)
    # Refusals are returned after the commit: withdrawn reviews and refreshed drafts stay.
    return FinalizeResult(finalized=[item.draft.invoice for item in ready], refused=refused)


def _finalize_ready(
    *, actor: Actor, ready: Sequence[_Finalizing], languages: Mapping[int, str], issued_at: datetime
) -> None:
    """Seal and link the hours billed, number, transition, audit, freeze the terms and announce: the invoices in
    ``ready`` are definitely finalized in the caller's transaction, so each gets the next number of one block."""
    try:
        seller_contact()  # BG-6: refuse before a number is taken
    except DocumentTermsError as error:
        raise InvoiceError(str(error)) from error
    billed = [(item.draft.invoice, start, end) for item in ready for start, end in item.hours]
    sealed = usage_seal(ranges=[(invoice.organization_id, start, end) for invoice, start, end in billed], at=issued_at)
    InvoiceSeal.objects.bulk_create(
        InvoiceSeal(organization_id=invoice.organization_id, invoice=invoice, seal=seal)
        for (invoice, _start, _end), seal in zip(billed, sealed, strict=True)
    )
    for item in ready:
        if item.pending.corrections:
            invoice = item.draft.invoice
            UsageCorrection.objects.for_organization(invoice.organization).filter(
                pk__in=[correction.pk for correction in item.pending.corrections]
            ).update(credited_at=issued_at)
            InvoiceCorrectionUsage.objects.bulk_create(
                InvoiceCorrectionUsage(organization=invoice.organization, invoice=invoice, correction=correction)
                for correction in item.pending.corrections
            )
    invoices = [item.draft.invoice for item in ready]
    numbers = document_numbers_next(year=issued_at.astimezone(BERLIN).year, count=len(invoices))
    moved = _transition_numbered(invoices=invoices, numbers=numbers, issued_at=issued_at)
    if moved != len(invoices):  # raising rolls the numbers back with the transaction: no gap
        raise InvoiceError("Another finalization changed these drafts; nothing was finalized.")
    entries: list[AuditEntry] = []
    for item, number in zip(ready, numbers, strict=True):
        invoice = item.draft.invoice
        invoice.status = InvoiceStatus.FINALIZED
        invoice.number, invoice.number_year, invoice.number_sequence = number.text, number.year, number.sequence
        invoice.issued_at = issued_at
        entries.append(
            AuditEntry(
                action="billing.invoice_finalized",
                target=invoice,
                organization=invoice.organization,
                data={
                    "number": number.text,
                    "net": str(invoice.net_amount),
                    "vat": str(invoice.vat_amount),
                    "gross": str(invoice.gross_amount),
                    "records": item.usage.records,
                    "corrections": len(item.pending.corrections),
                    "content_hash": item.content_hash,
                    "reviewed_by": item.review.reviewed_by_label if item.review is not None else "",
                },
            )
        )
    audit_record_many(actor=actor, entries=entries)
    invoices_terms_freeze(invoices=invoices, languages=languages)
    publish_many("invoice.finalized", subjects=[(invoice.organization_id, invoice.pk) for invoice in invoices])
    for invoice in invoices:
        enqueue_on_commit(RENDER_TASK, invoice.pk)


_TRANSITION = """
    UPDATE billing_invoice i
    SET status = %s, number = n.number, number_year = n.year, number_sequence = n.sequence, issued_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::int[]) AS n(id, number, year, sequence)
    WHERE i.id = n.id AND i.status = %s
"""


def _transition_numbered(*, invoices: Sequence[Invoice], numbers: Sequence[DocumentNumber], issued_at: datetime) -> int:
    """draft → finalized with their numbers, compare-and-set in one UPDATE; returns how many rows moved (one UPDATE
    per invoice on another database than PostgreSQL, the embedded default of ``make run``)."""
    if connection.vendor != "postgresql":
        return sum(
            Invoice.objects.unscoped()
            .filter(pk=invoice.pk, status=InvoiceStatus.DRAFT)
            .update(
                status=InvoiceStatus.FINALIZED,
                number=number.text,
                number_year=number.year,
                number_sequence=number.sequence,
                issued_at=issued_at,
            )
            for invoice, number in zip(invoices, numbers, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _TRANSITION,
            [
                str(InvoiceStatus.FINALIZED),
                issued_at,
                [invoice.pk for invoice in invoices],
                [number.text for number in numbers],
                [number.year for number in numbers],
                [number.sequence for number in numbers],
                str(InvoiceStatus.DRAFT),
            ],
        )
        return cursor.rowcount


def invoice_finalize(
    *, actor: Actor, invoice: Invoice, require_review: bool | None = None, now: datetime | None = None
) -> Invoice:
    """draft → finalized: recompute the lines from the locked records and positive corrections, check them against
    the review, number, mark the records invoiced and the corrections billed, audit (``invoices_finalize`` for one
    invoice).

    Refuses a document that is not a draft invoice, and one with nothing left to bill. A reviewed draft is finalized
    only with exactly the reviewed figures: when the recomputed lines differ (usage changed after the review), the
    review is invalidated (audited, committed) and ``InvoiceReviewError`` says to review again; nothing is numbered.
    An unreviewed draft is refused when ``require_review`` (default ``settings.KONTOR_INVOICE_REVIEW_REQUIRED``).
    ``now`` is the issue time (default: the clock; the demo data finalizes its history back then).
    """
    result = _finalize_batch(actor=actor, invoice_ids=[invoice.pk], require_review=require_review, now=now)
    if invoice.pk in result.refused:
        raise result.refused[invoice.pk]
    if not result.finalized:
        raise Invoice.DoesNotExist(f"No invoice {invoice.pk}.")
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

    Set-based per month (``invoices_draft_for_month``: one transaction per batch of organizations); a second run
    finds the same drafts and changes nothing.
    """
    current = now.astimezone(BERLIN)
    current_month_start = datetime(current.year, current.month, 1, tzinfo=BERLIN)
    due = (
        UsageRecord.objects.unscoped()
        .filter(~sealed(), hour__lt=current_month_start)
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
    months: dict[tuple[int, int], list[int]] = {}
    for organization_id, month in sorted(set(due) | set(found)):
        local = month.astimezone(BERLIN)
        months.setdefault((local.year, local.month), []).append(organization_id)
    documents = 0
    for (year, month), organization_ids in sorted(months.items()):
        documents += len(invoices_draft_for_month(organization_ids=organization_ids, year=year, month=month))
    return BillingRunResult(documents=documents, failures=0)


def invoices_finalize_due(*, now: datetime) -> BillingRunResult:
    """Finalize every draft invoice whose month ended at least ``KONTOR_INVOICE_GRACE_DAYS`` days ago, numbered in
    the order of their months, then IDs (``invoices_finalize``: a batch per transaction)."""
    cutoff = now - timedelta(days=settings.KONTOR_INVOICE_GRACE_DAYS)
    due = list(
        Invoice.objects.unscoped()
        .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT, period_end__lte=cutoff)
        .order_by("period_start", "pk")
        .values_list("pk", flat=True)
    )
    # A refused one was finalized concurrently, or has nothing left to bill: the next draft run settles it.
    result = invoices_finalize(actor=Actor.system("billing.finalize_invoices"), invoice_ids=due)
    return BillingRunResult(documents=len(result.finalized), failures=len(result.refused))


__all__ = [
    "BillingPeriod",
    "BillingRunResult",
    "CreditLine",
    "FinalizeResult",
    "InvoiceError",
    "billing_period",
    "credit_note_create",
    "invoice_draft_for_month",
    "invoice_finalize",
    "invoice_mark_reviewed",
    "invoice_transition",
    "invoices_draft_due",
    "invoices_draft_for_month",
    "invoices_finalize",
    "invoices_finalize_due",
]
