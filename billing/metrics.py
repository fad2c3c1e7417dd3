"""Invoicing signals for /metrics: documents drafted and finalized, and files rendered."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from billing.choices import InvoiceStatus
from billing.models import Invoice, InvoiceFile, InvoiceFileKind


def collect() -> Iterator[Metric]:
    by_status = dict(
        Invoice.objects.unscoped().values_list("status").annotate(count=Count("id")).values_list("status", "count")
    )
    invoices = GaugeMetricFamily("kontor_invoices", "Invoices and credit notes by status.", labels=["status"])
    for status in InvoiceStatus.values:
        invoices.add_metric([status], by_status.get(status, 0))
    yield invoices
    by_kind = dict(
        InvoiceFile.objects.unscoped().values_list("kind").annotate(count=Count("id")).values_list("kind", "count")
    )
    rendered = GaugeMetricFamily("kontor_invoice_files_rendered", "Issued document files stored.", labels=["kind"])
    for kind in InvoiceFileKind.values:
        rendered.add_metric([kind], by_kind.get(kind, 0))
    yield rendered
