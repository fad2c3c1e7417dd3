"""Reads of invoices and credit notes, always for one organization (``invoices_for_documents``: the system's
rendering reads, by ID)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from billing.choices import InvoiceKind, InvoiceStatus
from billing.models import Invoice, InvoiceLine
from billing.periods import BillingPeriod
from tenants.models import Organization


def invoice_list(*, organization: Organization, finalized_only: bool = True) -> QuerySet[Invoice]:
    """The organization's documents, newest period first; customers see finalized ones only."""
    invoices = Invoice.objects.for_organization(organization)
    if finalized_only:
        invoices = invoices.filter(status=InvoiceStatus.FINALIZED)
    return invoices.select_related("credited_invoice").order_by("-period_start", "-id")


def invoice_get(*, organization: Organization, pk: int) -> Invoice:
    """One document of the organization; another organization's raises ``Invoice.DoesNotExist`` like a missing one."""
    return Invoice.objects.for_organization(organization).select_related("credited_invoice").get(pk=pk)


def invoice_lines(*, invoice: Invoice) -> QuerySet[InvoiceLine]:
    return (
        InvoiceLine.objects.for_organization(invoice.organization)
        .filter(invoice=invoice)
        .select_related("corrects")
        .order_by("position")
    )


# --- The operator dashboard: every organization's documents ---------------------------------------------------------


def billing_run_period(*, now: datetime) -> BillingPeriod:
    """The month the current billing run invoices: the Berlin month before ``now``'s (drafted from its 1st,
    finalized after ``KONTOR_INVOICE_GRACE_DAYS``)."""
    current = BillingPeriod.containing(now)
    return BillingPeriod.containing(current.start - timedelta(seconds=1))


@dataclass(frozen=True)
class BillingRunSummary:
    period: BillingPeriod
    drafts_to_review: int
    drafts_reviewed: int
    finalized: int
    credit_notes: int
    draft_net: Decimal
    finalized_net: Decimal


def billing_run_summary(*, now: datetime) -> BillingRunSummary:
    """The current run's documents by status (drafts split by review), with their nets. One query."""
    period = billing_run_period(now=now)
    invoice = Q(kind=InvoiceKind.INVOICE)
    draft = invoice & Q(status=InvoiceStatus.DRAFT)
    finalized = invoice & Q(status=InvoiceStatus.FINALIZED)
    zero = Value(Decimal("0.00"))
    figures = (
        Invoice.objects.unscoped()
        .filter(period_start=period.start)
        .aggregate(
            to_review=Count("id", filter=draft & Q(review__isnull=True)),
            reviewed=Count("id", filter=draft & Q(review__isnull=False)),
            finalized=Count("id", filter=finalized),
            credit_notes=Count("id", filter=Q(kind=InvoiceKind.CREDIT_NOTE, status=InvoiceStatus.FINALIZED)),
            draft_net=Coalesce(Sum("net_amount", filter=draft), zero),
            finalized_net=Coalesce(Sum("net_amount", filter=finalized), zero),
        )
    )
    return BillingRunSummary(
        period=period,
        drafts_to_review=figures["to_review"],
        drafts_reviewed=figures["reviewed"],
        finalized=figures["finalized"],
        credit_notes=figures["credit_notes"],
        draft_net=figures["draft_net"],
        finalized_net=figures["finalized_net"],
    )


@dataclass(frozen=True)
class RevenueToDate:
    since: datetime  # the first instant of the Berlin month
    invoiced_net: Decimal
    credited_net: Decimal
    invoices: int
    credit_notes: int

    @property
    def net(self) -> Decimal:
        return self.invoiced_net - self.credited_net


def revenue_month_to_date(*, now: datetime) -> RevenueToDate:
    """Net revenue (EUR) issued this Berlin month: finalized invoices less finalized credit notes. One query."""
    since = BillingPeriod.containing(now).start
    zero = Value(Decimal("0.00"))
    invoices, credits = Q(kind=InvoiceKind.INVOICE), Q(kind=InvoiceKind.CREDIT_NOTE)
    figures = (
        Invoice.objects.unscoped()
        .filter(status=InvoiceStatus.FINALIZED, issued_at__gte=since, issued_at__lte=now)
        .aggregate(
            invoiced=Coalesce(Sum("net_amount", filter=invoices), zero),
            credited=Coalesce(Sum("net_amount", filter=credits), zero),
            invoices=Count("id", filter=invoices),
            credit_notes=Count("id", filter=credits),
        )
    )
    return RevenueToDate(
        since=since,
        invoiced_net=figures["invoiced"],
        credited_net=figures["credited"],
        invoices=figures["invoices"],
        credit_notes=figures["credit_notes"],
    )


def invoices_for_documents(*, invoice_ids: Iterable[int]) -> QuerySet[Invoice]:
    """Documents to render (system code, any organization), with everything ``invoice_document`` reads: the
    organization, the cited invoice and the frozen terms joined, the lines (and the invoices they correct) in one
    more query for all of them."""
    return (
        Invoice.objects.unscoped()
        .filter(pk__in=list(invoice_ids))
        .select_related("organization", "credited_invoice", "terms")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.unscoped().select_related("corrects").order_by("position"))
        )
        .order_by("pk")
    )
