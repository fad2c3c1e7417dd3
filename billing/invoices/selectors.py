"""Reads of invoices and credit notes, always for one organization (``invoices_for_documents``: the system's
rendering reads, by ID)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from billing.choices import InvoiceStatus
from billing.models import Invoice, InvoiceLine
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
