"""Reads of usage: GPU-hours per day and flavor for the portal's chart, and a reservation's live cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Sum, Value, When
from django.db.models.functions import TruncDate

from catalog.choices import License
from metering.choices import BILLED_WINDOW_STATES, Meter
from metering.models import MeteringCursor, UsageRecord
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


# --- Reserved windows metering has not written yet -----------------------------------------------------------------

ONE_SECOND = timedelta(seconds=1)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CommittedWindow:
    """A reserved window billed in full, read from the reservation itself: what metering will write for it, with the
    same rule (every second of the window times its GPUs, at the quote's compute price plus the license price of an
    NVIDIA AI Enterprise item), known from the moment it is booked."""

    reservation_id: int
    flavor: str  # slug
    flavor_name: str
    starts_at: datetime
    ends_at: datetime
    gpus: int  # instances * GPUs per instance
    unit_price: Decimal  # EUR per GPU-hour, compute plus license

    def gpu_seconds(self, start: datetime, end: datetime) -> int:
        """GPU-seconds of the window inside ``[start, end)``."""
        inside = (min(self.ends_at, end) - max(self.starts_at, start)) // ONE_SECOND
        return max(inside, 0) * self.gpus

    def amount(self, start: datetime, end: datetime) -> Decimal:
        """Exact net EUR of the window inside ``[start, end)`` (not rounded)."""
        return self.gpu_seconds(start, end) * self.unit_price / SECONDS_PER_HOUR


@dataclass(frozen=True)
class UnmeteredWindows:
    """The reserved windows in a period whose usage records are not final yet.

    ``reservation_ids``: every reserved window overlapping the period except those billed and metered to their end;
    their records (if any) do not count. ``windows``: those of them that are billed, to be counted from the reservation
    (``CommittedWindow``). Together with the other records this gives the same figures metering will write, right
    after a booking, an extension or a cancellation.
    """

    reservation_ids: list[int]
    windows: list[CommittedWindow]


def unmetered_windows(*, organization: Organization, start: datetime, end: datetime) -> UnmeteredWindows:
    """The reserved windows overlapping ``[start, end)`` that metering has not metered to their end (one query)."""
    fully_metered = MeteringCursor.objects.for_organization(organization).filter(
        reservation=OuterRef("pk"), instance__isnull=True, metered_until=OuterRef("ends_at")
    )
    reservations = (
        Reservation.objects.for_organization(organization)
        .filter(kind=ReservationKind.RESERVED, starts_at__lt=end, ends_at__gt=start)
        .exclude(Q(state__in=BILLED_WINDOW_STATES) & Q(Exists(fully_metered)))
        .select_related("quote", "flavor", "item_version__item")
        .order_by("pk")
    )
    ids: list[int] = []
    windows: list[CommittedWindow] = []
    for reservation in reservations:
        ids.append(reservation.pk)
        if reservation.state not in BILLED_WINDOW_STATES or reservation.ends_at is None:
            continue
        quote = reservation.quote
        licensed = reservation.item_version.item.license == License.NVIDIA_AI_ENTERPRISE
        windows.append(
            CommittedWindow(
                reservation_id=reservation.pk,
                flavor=reservation.flavor.slug,
                flavor_name=reservation.flavor.name,
                starts_at=reservation.starts_at,
                ends_at=reservation.ends_at,
                gpus=reservation.instance_count * reservation.flavor.gpu_count,
                unit_price=quote.compute_unit_price + (quote.license_unit_price if licensed else Decimal(0)),
            )
        )
    return UnmeteredWindows(reservation_ids=ids, windows=windows)


# --- GPU-hours per day: used and committed ----------------------------------------------------------------------


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / SECONDS_PER_HOUR).quantize(GPU_HOURS_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DailyGpuHours:
    """GPU time of one UTC day and flavor, split at ``as_of``: ``used`` is metered time of hours that have passed (and
    on-demand use metered so far), ``committed`` the reserved windows' hours still to come."""

    day: date  # UTC day
    flavor: str  # slug
    flavor_name: str
    used_seconds: int
    committed_seconds: int

    @property
    def used_hours(self) -> Decimal:
        return _hours(self.used_seconds)

    @property
    def committed_hours(self) -> Decimal:
        return _hours(self.committed_seconds)


def _utc_days(start: datetime, end: datetime) -> list[tuple[date, datetime, datetime]]:
    """The UTC days touching ``[start, end)`` with the part of the range inside each."""
    cursor = start.astimezone(UTC)
    days = []
    while cursor < end:
        midnight = cursor.replace(hour=0, minute=0, second=0, microsecond=0)
        boundary = min(midnight + ONE_DAY, end)
        days.append((midnight.date(), cursor, boundary))
        cursor = boundary
    return days


def gpu_hours_by_day(
    *, organization: Organization, start: datetime, end: datetime, as_of: datetime
) -> list[DailyGpuHours]:
    """GPU time per UTC day and flavor for ``[start, end)``, used (before ``as_of``) and committed (reserved hours
    from ``as_of``): the usage records (GPU time and committed time; the license meter counts the same GPU time again)
    and the reserved windows metering has not written yet, read from their reservations. Sorted by day and slug."""
    pending = unmetered_windows(organization=organization, start=start, end=end)
    rows = (
        UsageRecord.objects.for_organization(organization)
        .filter(hour__gte=start, hour__lt=end, meter__in=[Meter.GPU_SECONDS, Meter.COMMITTED_GPU_SECONDS])
        .exclude(reservation_id__in=pending.reservation_ids)
        .annotate(
            day=TruncDate("hour", tzinfo=UTC),
            committed=Case(
                When(hour__gte=as_of, instance__isnull=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values("day", "flavor__slug", "flavor__name", "committed")
        .annotate(total=Sum("quantity"))
        .order_by()
        .values_list("day", "flavor__slug", "flavor__name", "committed", "total")
    )
    totals: dict[tuple[date, str], list[int]] = {}
    names: dict[str, str] = {}
    for day, slug, name, committed, total in rows:
        names[slug] = name
        totals.setdefault((day, slug), [0, 0])[1 if committed else 0] += int(total)
    for window in pending.windows:
        names[window.flavor] = window.flavor_name
        for day, day_start, day_end in _utc_days(max(window.starts_at, start), min(window.ends_at, end)):
            used = window.gpu_seconds(day_start, min(day_end, max(day_start, as_of)))
            committed = window.gpu_seconds(max(day_start, as_of), day_end)
            entry = totals.setdefault((day, window.flavor), [0, 0])
            entry[0] += used
            entry[1] += committed
    return [
        DailyGpuHours(day=day, flavor=slug, flavor_name=names[slug], used_seconds=used, committed_seconds=committed)
        for (day, slug), (used, committed) in sorted(totals.items())
        if used or committed
    ]


def gpu_hours_per_flavor(days: list[DailyGpuHours]) -> list[DailyGpuHours]:
    """The month's totals per flavor of ``gpu_hours_by_day``'s rows (``day`` is the first day with GPU time)."""
    totals: dict[str, DailyGpuHours] = {}
    for row in days:
        seen = totals.get(row.flavor)
        totals[row.flavor] = (
            row
            if seen is None
            else DailyGpuHours(
                day=seen.day,
                flavor=row.flavor,
                flavor_name=row.flavor_name,
                used_seconds=seen.used_seconds + row.used_seconds,
                committed_seconds=seen.committed_seconds + row.committed_seconds,
            )
        )
    return [totals[slug] for slug in sorted(totals)]


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
