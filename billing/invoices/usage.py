"""The month's billable usage summed by PostgreSQL: one statement per batch of organizations, one row per line.

A line groups an organization's uninvoiced records of one (meter, flavor, unit price, purchase order): the same key
``billing.lines.LineKey`` names. A record is uninvoiced when no seal of its organization covers its hour
(``metering.models.sealed_sql``, the one rule). PostgreSQL sums the exact integer GPU-seconds and finds the first
and last UTC hour; Python words the lines and rounds their nets (``billing.lines.lines_from_usage``), so nothing is
rounded in SQL. The tenant scope is explicit: every statement names the organizations it reads. The statements name
the tables of ``UsageRecord``, ``Flavor``, ``Reservation`` and ``UsageSeal`` (a test pins them).

Finalizing reads the same sums while it holds the organizations' rows ``FOR UPDATE``: metering takes them ``FOR KEY
SHARE`` before it writes records, so the sums cannot change until the finalization seals the hours they cover
(``unsealed_hours``, ``metering.services.usage_seal``) and commits. Nothing is written per record.

On another database (SQLite, the embedded default of ``make run``) the same figures come from the ORM and are summed
in Python: the same keys and exact integers, one read per batch, without the set-based speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from billing.lines import LineKey, LineUsage
from billing.periods import BillingPeriod
from metering.models import UsageRecord, sealed, sealed_sql
from metering.services import hour_start


@dataclass
class OrganizationUsage:
    """One organization's billable usage in a month: the GPU-seconds per line key and how many records they sum."""

    sums: dict[LineKey, LineUsage] = field(default_factory=dict)
    records: int = 0


SUMS = """
    SELECT u.organization_id, u.meter, f.slug, u.unit_price, f.gpu_count, r.purchase_order_reference,
           SUM(u.quantity), MIN(u.hour), MAX(u.hour), COUNT(*)
    FROM metering_usagerecord u
    JOIN catalog_flavor f ON f.id = u.flavor_id
    JOIN reservations_reservation r ON r.id = u.reservation_id
    WHERE u.organization_id = ANY(%(organizations)s)
      AND u.hour >= %(start)s AND u.hour < %(end)s AND u.hour <= %(until)s
      AND NOT {sealed}
    GROUP BY u.organization_id, u.meter, f.slug, u.unit_price, f.gpu_count, r.purchase_order_reference
""".replace("{sealed}", sealed_sql("u"))


def billing_cut(*, period: BillingPeriod, now: datetime) -> datetime:
    """The end of the period's hours that have fully passed at ``now`` (an hour is billed once it is over)."""
    return max(min(period.end, hour_start(now)), period.start)


def unsealed_hours(
    *, period: BillingPeriod, now: datetime, seals: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The ranges of the period's fully passed hours that no seal of ``seals`` covers: what finalizing at ``now``
    bills and seals (``billable_usage`` sums exactly the records in them)."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor, end = period.start, billing_cut(period=period, now=now)
    for start, stop in sorted(seals):
        if stop <= cursor or start >= end:
            continue
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, stop)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def billable_usage(
    *, organization_ids: Iterable[int], period: BillingPeriod, now: datetime
) -> dict[int, OrganizationUsage]:
    """The uninvoiced, fully passed hours of ``period`` of these organizations, summed per line key (organizations
    without any are absent)."""
    if connection.vendor != "postgresql":
        return _billable_usage_portable(organization_ids=organization_ids, period=period, now=now)
    result: dict[int, OrganizationUsage] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            SUMS,
            {
                "organizations": list(organization_ids),
                "start": period.start,
                "end": period.end,
                "until": now - timedelta(hours=1),
            },
        )
        for (
            organization_id,
            meter,
            flavor_slug,
            unit_price,
            gpu_count,
            order,
            seconds,
            first,
            last,
            count,
        ) in cursor.fetchall():
            usage = result.setdefault(organization_id, OrganizationUsage())
            key = LineKey(meter, flavor_slug, unit_price, gpu_count, order)
            usage.sums[key] = LineUsage(int(seconds), first, last)
            usage.records += count
    return result


def _billable_usage_portable(
    *, organization_ids: Iterable[int], period: BillingPeriod, now: datetime
) -> dict[int, OrganizationUsage]:
    records = UsageRecord.objects.unscoped().filter(
        ~sealed(),
        organization_id__in=list(organization_ids),
        hour__gte=period.start,
        hour__lt=period.end,
        hour__lte=now - timedelta(hours=1),
    )
    rows = records.order_by("id").values_list(
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
    for organization_id, meter, flavor_slug, unit_price, gpu_count, order, quantity, hour in rows:
        usage = result.setdefault(organization_id, OrganizationUsage())
        key = LineKey(meter, flavor_slug, unit_price, gpu_count, order)
        line = usage.sums.get(key)
        usage.sums[key] = (
            LineUsage(quantity, hour, hour)
            if line is None
            else LineUsage(line.seconds + quantity, min(line.first_hour, hour), max(line.last_hour, hour))
        )
        usage.records += 1
    return result
