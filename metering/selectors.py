"""Reads of usage: GPU-hours per day and flavor for the portal's chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate

from metering.choices import Meter
from metering.models import UsageRecord
from tenants.models import Organization

SECONDS_PER_HOUR = 3600
GPU_HOURS_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class DailyUsage:
    day: date  # UTC day
    flavor: str  # flavor slug
    gpu_seconds: int
    gpu_hours: Decimal  # gpu_seconds / 3600, rounded half-up to 4 places (for display only; bill from seconds)


def usage_by_day(*, organization: Organization, start: datetime, end: datetime) -> list[DailyUsage]:
    """GPU time per UTC day and flavor for hours in ``[start, end)``: on-demand use plus committed windows (the
    license meter counts the same GPU time again, so it is left out). One query."""
    rows = (
        UsageRecord.objects.for_organization(organization)
        .filter(hour__gte=start, hour__lt=end, meter__in=[Meter.GPU_SECONDS, Meter.COMMITTED_GPU_SECONDS])
        .annotate(day=TruncDate("hour", tzinfo=UTC))
        .values("day", "flavor__slug")
        .annotate(total=Sum("quantity"))
        .order_by("day", "flavor__slug")
        .values_list("day", "flavor__slug", "total")
    )
    return [
        DailyUsage(
            day=day,
            flavor=slug,
            gpu_seconds=int(total),
            gpu_hours=(Decimal(int(total)) / SECONDS_PER_HOUR).quantize(GPU_HOURS_PLACES, rounding=ROUND_HALF_UP),
        )
        for day, slug, total in rows
    ]
