"""The month's billable usage summed by PostgreSQL: one statement per batch of organizations, one row per line.

A line groups an organization's uninvoiced records of one (meter, flavor, unit price, purchase order): the same key
``billing.lines.LineKey`` names. PostgreSQL sums the exact integer GPU-seconds and finds the first and last UTC
hour; Python words the lines and rounds their nets (``billing.lines.lines_from_usage``), so nothing is rounded in
SQL. The tenant scope is explicit: every statement names the organizations it reads. The statements name the
tables of ``UsageRecord``, ``Flavor``, ``Reservation`` and ``InvoiceUsage`` (a test pins them).

With ``lock`` (finalization) the records are locked ``FOR UPDATE`` in the same statement and their IDs come back per
organization, so exactly the locked records are marked invoiced: a record metered after the lock is neither billed
nor marked.

On another database (SQLite, the embedded default of ``make run``) the same figures come from the ORM and are summed
in Python: the same keys and exact integers, one read per batch, without the set-based speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from billing.invoices.models import InvoiceUsage
from billing.lines import LineKey, LineUsage
from billing.periods import BillingPeriod
from metering.models import UsageRecord


@dataclass
class OrganizationUsage:
    """One organization's billable usage in a month: the GPU-seconds per line key, and the records' IDs when locked."""

    sums: dict[LineKey, LineUsage] = field(default_factory=dict)
    records: int = 0
    record_ids: list[int] = field(default_factory=list)


_BILLABLE = """
    SELECT u.id, u.organization_id, u.reservation_id, u.flavor_id, u.meter, u.unit_price, u.quantity, u.hour
    FROM metering_usagerecord u
    WHERE u.organization_id = ANY(%(organizations)s) AND u.invoiced_at IS NULL
      AND u.hour >= %(start)s AND u.hour < %(end)s AND u.hour <= %(until)s
"""
_LINES = """
    SELECT b.organization_id, b.meter, f.slug, b.unit_price, f.gpu_count, r.purchase_order_reference,
           SUM(b.quantity), MIN(b.hour), MAX(b.hour), COUNT(*), {ids}
    FROM billable b
    JOIN catalog_flavor f ON f.id = b.flavor_id
    JOIN reservations_reservation r ON r.id = b.reservation_id
    GROUP BY b.organization_id, b.meter, f.slug, b.unit_price, f.gpu_count, r.purchase_order_reference
"""
#: Drafting: the lines of the batch's organizations, read without locks.
SUMS = "WITH billable AS NOT MATERIALIZED (" + _BILLABLE + ")" + _LINES.replace("{ids}", "NULL")
#: Finalizing: the same lines from the records locked in the same statement, with their IDs.
LOCKED_SUMS = (
    "WITH billable AS MATERIALIZED (" + _BILLABLE + " FOR UPDATE)" + _LINES.replace("{ids}", "ARRAY_AGG(b.id)")
)
_MARK = """
    WITH billed AS (
        SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS b(record_id, invoice_id, organization_id)
    ), marked AS (
        UPDATE metering_usagerecord u SET invoiced_at = %s FROM billed WHERE u.id = billed.record_id
    )
    INSERT INTO billing_invoiceusage (organization_id, invoice_id, record_id)
    SELECT organization_id, invoice_id, record_id FROM billed
"""


def billable_usage(
    *, organization_ids: Iterable[int], period: BillingPeriod, now: datetime, lock: bool
) -> dict[int, OrganizationUsage]:
    """The uninvoiced, fully passed hours of ``period`` of these organizations, summed per line key (organizations
    without any are absent). ``lock`` locks the records and returns their IDs (inside the caller's transaction)."""
    if connection.vendor != "postgresql":
        return _billable_usage_portable(organization_ids=organization_ids, period=period, now=now, lock=lock)
    result: dict[int, OrganizationUsage] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            LOCKED_SUMS if lock else SUMS,
            {
                "organizations": list(organization_ids),
                "start": period.start,
                "end": period.end,
                "until": now - timedelta(hours=1),
            },
        )
        for row in cursor.fetchall():
            organization_id, meter, flavor_slug, unit_price, gpu_count, order, seconds, first, last, count = row[:10]
            usage = result.setdefault(organization_id, OrganizationUsage())
            key = LineKey(meter, flavor_slug, unit_price, gpu_count, order)
            usage.sums[key] = LineUsage(int(seconds), first, last)
            usage.records += count
            if lock:
                usage.record_ids.extend(row[10])
    for usage in result.values():
        usage.record_ids.sort()
    return result


def _billable_usage_portable(
    *, organization_ids: Iterable[int], period: BillingPeriod, now: datetime, lock: bool
) -> dict[int, OrganizationUsage]:
    records = UsageRecord.objects.unscoped().filter(
        organization_id__in=list(organization_ids),
        invoiced_at__isnull=True,
        hour__gte=period.start,
        hour__lt=period.end,
        hour__lte=now - timedelta(hours=1),
    )
    if lock:
        records = records.select_for_update()
    rows = records.order_by("id").values_list(
        "id",
        "organization_id",
        "meter",
        "flavor__slug",
        "unit_price",
        "flavor__gpu_count",
        "reservation__purchase_order_reference",
        "quantity",
        "hour",
    )
    result: dict[int, OrganizationUsage] = {}
    for record_id, organization_id, meter, flavor_slug, unit_price, gpu_count, order, quantity, hour in rows:
        usage = result.setdefault(organization_id, OrganizationUsage())
        key = LineKey(meter, flavor_slug, unit_price, gpu_count, order)
        line = usage.sums.get(key)
        usage.sums[key] = (
            LineUsage(quantity, hour, hour)
            if line is None
            else LineUsage(line.seconds + quantity, min(line.first_hour, hour), max(line.last_hour, hour))
        )
        usage.records += 1
        if lock:
            usage.record_ids.append(record_id)
    return result


def usage_mark_invoiced(*, billed: Iterable[tuple[int, int, int]], invoiced_at: datetime) -> None:
    """Mark these (record, invoice, organization) records invoiced at ``invoiced_at`` and link them to the invoice
    that bills them (``InvoiceUsage``), in one statement; the caller holds their locks (``billable_usage``)."""
    record_ids: list[int] = []
    invoice_ids: list[int] = []
    organization_ids: list[int] = []
    for record_id, invoice_id, organization_id in billed:
        record_ids.append(record_id)
        invoice_ids.append(invoice_id)
        organization_ids.append(organization_id)
    if not record_ids:
        return
    if connection.vendor != "postgresql":
        UsageRecord.objects.unscoped().filter(pk__in=record_ids).update(invoiced_at=invoiced_at)
        InvoiceUsage.objects.bulk_create(
            InvoiceUsage(organization_id=organization_id, invoice_id=invoice_id, record_id=record_id)
            for record_id, invoice_id, organization_id in zip(record_ids, invoice_ids, organization_ids, strict=True)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK,
            [record_ids, invoice_ids, organization_ids, invoiced_at],
        )
