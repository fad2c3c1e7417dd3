"""Reads of usage: GPU-hours per day and flavor for the portal's chart, and a reservation's live cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate

from catalog.choices import License
from metering.choices import Meter
from metering.models import UsageRecord
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation
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


# --- Live cost of one reservation -----------------------------------------------------------------------------------

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ReservationCost:
    """What a reservation has cost so far, net, in EUR.

    ``metered`` sums the usage records written so far (at the quote's prices); ``so_far`` is an estimate: the same
    arithmetic applied to the facts up to ``at``, including the current partial hour metering has not reached yet.
    ``committed`` is a reserved window's total (charged in full whether used or not), None on demand.
    """

    at: datetime
    metered: Decimal
    so_far: Decimal
    committed: Decimal | None
    currency: str = "EUR"


def _money(gpu_seconds_times_price: Decimal) -> Decimal:
    return (gpu_seconds_times_price / SECONDS_PER_HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def reservation_cost(*, reservation: Reservation, at: datetime) -> ReservationCost:
    """The reservation's cost so far (an estimate between metering runs) and, for a reserved window, its total."""
    records = UsageRecord.objects.for_organization(reservation.organization).filter(reservation=reservation)
    metered = sum((record.quantity * record.unit_price for record in records), Decimal(0))
    quote = reservation.quote
    licensed = reservation.item_version.item.license == License.NVIDIA_AI_ENTERPRISE
    price = quote.compute_unit_price + (quote.license_unit_price if licensed else Decimal(0))
    gpus = reservation.flavor.gpu_count
    if reservation.state == ReservationState.FAILED:
        estimate = Decimal(0)  # a failed reservation bills nothing
    elif reservation.kind == ReservationKind.ON_DEMAND:
        seconds = 0
        for instance in reservation.instances.all():  # provisioning's reverse relation
            if instance.started_at is None:
                continue
            end = min(instance.stopped_at or at, at)
            seconds += max(
                int((end.replace(microsecond=0) - instance.started_at.replace(microsecond=0)).total_seconds()), 0
            )
        estimate = seconds * gpus * price
    else:
        start, end = reservation.starts_at, min(reservation.ends_at or at, at)
        elapsed = max(int((end - start).total_seconds()), 0)
        estimate = elapsed * gpus * reservation.instance_count * price
    committed = None if reservation.kind == ReservationKind.ON_DEMAND else quote.net_amount
    return ReservationCost(
        at=at, metered=_money(metered), so_far=max(_money(estimate), _money(metered)), committed=committed
    )
