"""Reads of invoices and credit notes, always for one organization."""

from __future__ import annotations

from django.db.models import QuerySet

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
