"""Metering: turn the instance facts (``started_at``/``stopped_at``) and reserved windows into exact usage records.

Every write goes through one function per subject that locks the subject's row (the instance, or the reserved
reservation) and then rewrites that subject's records through their unique constraints, so a retried, repeated or
concurrent run computes the same rows and never counts a second twice or loses one.

Rules, in one place:
- Hours are UTC; a fact is counted from its whole second (``started_at`` 10:59:30.7 counts from 10:59:30), so the
  seconds of consecutive hours always add up to ``stopped - started``, with nothing lost or counted twice.
- On-demand reservations: ``gpu_seconds`` per instance and hour = seconds * the flavor's GPUs, at the quote's compute
  price; licensed items (NVIDIA AI Enterprise) add ``license_gpu_seconds`` with the same quantity at the quote's
  license price.
- Reserved reservations: ``committed_gpu_seconds`` per hour of the whole window = instances * GPUs * seconds of the
  hour inside the window, billed whether used or not; licensed items add ``license_gpu_seconds`` for the window at
  the quote's license price (0 where the commitment includes the license — still recorded). Their instances'
  use is *not* metered again: no ``gpu_seconds`` rows are written for reserved reservations.
- A failed reservation bills nothing: whatever was written before it failed is removed (or corrected, if invoiced).
  A reserved window cancelled before its start bills nothing either.
- An hour not yet invoiced is rewritten with its exact value; an invoiced hour never changes — the difference
  becomes a ``UsageCorrection``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from catalog.choices import License
from metering.choices import Meter
from metering.models import MeteringCursor, UsageCorrection, UsageRecord
from provisioning.models import Instance
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation

ONE_HOUR = timedelta(hours=1)
ONE_SECOND = timedelta(seconds=1)

#: Reserved windows in these states are billed in full, used or not.
BILLED_WINDOW_STATES = (
    ReservationState.SCHEDULED,
    ReservationState.PROVISIONING,
    ReservationState.ACTIVE,
    ReservationState.ENDING,
    ReservationState.ENDED,
)
#: Reserved windows in these states bill nothing; records written while they were scheduled are removed.
UNBILLED_WINDOW_STATES = (ReservationState.CANCELLED, ReservationState.FAILED, ReservationState.EXPIRED)


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour ``moment`` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def seconds_per_hour(start: datetime, end: datetime) -> dict[datetime, int]:
    """Whole seconds of ``[start, end)`` in each UTC hour, both ends truncated to the second. Empty if not after."""
    cursor = start.astimezone(UTC).replace(microsecond=0)
    stop = end.astimezone(UTC).replace(microsecond=0)
    result: dict[datetime, int] = {}
    while cursor < stop:
        boundary = min(hour_start(cursor) + ONE_HOUR, stop)
        result[hour_start(cursor)] = (boundary - cursor) // ONE_SECOND
        cursor = boundary
    return result


@dataclass(frozen=True)
class Wanted:
    quantity: int
    unit_price: Decimal


Key = tuple[str, datetime]  # (meter, hour)


def _wanted(
    *, seconds: dict[datetime, int], factor: int, meter: Meter, price: Decimal, license_price: Decimal | None
) -> dict[Key, Wanted]:
    wanted = {(str(meter), hour): Wanted(quantity * factor, price) for hour, quantity in seconds.items()}
    if license_price is not None:
        wanted.update(
            {(str(Meter.LICENSE_GPU_SECONDS), hour): Wanted(q * factor, license_price) for hour, q in seconds.items()}
        )
    return wanted


def _license_price(reservation: Reservation) -> Decimal | None:
    return (
        reservation.quote.license_unit_price
        if reservation.item_version.item.license == License.NVIDIA_AI_ENTERPRISE
        else None
    )


def _write(*, records: Iterable[UsageRecord], wanted: dict[Key, Wanted], new: dict[str, Any], now: datetime) -> int:
    """Make the subject's records say ``wanted``. ``records`` are the subject's rows, locked. Returns rows written."""
    existing = {(record.meter, record.hour): record for record in records}
    invoiced = [record for record in existing.values() if record.invoiced_at is not None]
    corrected: dict[int, int] = (
        dict(
            UsageCorrection.objects.unscoped()
            .filter(record__in=invoiced)
            .values("record")
            .annotate(total=Sum("quantity_delta"))
            .values_list("record", "total")
        )
        if invoiced
        else {}
    )
    to_create: list[UsageRecord] = []
    to_update: list[UsageRecord] = []
    to_delete: list[int] = []
    corrections: list[UsageCorrection] = []
    for key in sorted(existing.keys() | wanted.keys()):
        record, want = existing.get(key), wanted.get(key)
        if record is None:
            assert want is not None
            to_create.append(
                UsageRecord(
                    **new,
                    meter=key[0],
                    hour=key[1],
                    quantity=want.quantity,
                    unit_price=want.unit_price,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif record.invoiced_at is None:
            if want is None:
                to_delete.append(record.pk)
            elif (record.quantity, record.unit_price) != (want.quantity, want.unit_price):
                record.quantity, record.unit_price, record.updated_at = want.quantity, want.unit_price, now
                to_update.append(record)
        else:
            billed = record.quantity + corrected.get(record.pk, 0)
            delta = (want.quantity if want else 0) - billed
            if delta:
                corrections.append(
                    UsageCorrection(
                        organization_id=record.organization_id,
                        record=record,
                        quantity_delta=delta,
                        unit_price=record.unit_price,
                        created_at=now,
                    )
                )
    if to_delete:
        UsageRecord.objects.unscoped().filter(pk__in=to_delete).delete()
    UsageRecord.objects.unscoped().bulk_create(to_create)
    UsageRecord.objects.unscoped().bulk_update(to_update, ["quantity", "unit_price", "updated_at"])
    UsageCorrection.objects.unscoped().bulk_create(corrections)
    return len(to_delete) + len(to_create) + len(to_update) + len(corrections)


def _move_cursor(*, reservation: Reservation, instance: Instance | None, metered_until: datetime) -> None:
    MeteringCursor.objects.unscoped().update_or_create(
        reservation=reservation,
        instance=instance,
        defaults={"organization_id": reservation.organization_id, "metered_until": metered_until},
    )


def meter_instance(*, instance_id: int, until: datetime) -> int:
    """Meter one instance of an on-demand reservation from ``started_at`` to ``min(stopped_at or until, until)``.

    Returns the number of rows written (created, rewritten, removed or corrections); 0 when nothing changed.
    """
    now = timezone.now()
    with transaction.atomic():
        instance = (
            Instance.objects.unscoped()
            .select_for_update(of=("self",))
            .select_related("reservation__quote", "reservation__flavor", "reservation__item_version__item")
            .get(pk=instance_id)
        )
        reservation = instance.reservation
        if instance.started_at is None or reservation.kind != ReservationKind.ON_DEMAND:
            return 0
        end = max(min(instance.stopped_at or until, until), instance.started_at)
        wanted: dict[Key, Wanted] = {}
        if reservation.state == ReservationState.FAILED:
            end = instance.started_at  # bills nothing: the cursor says so, and the run skips it from now on
        else:
            wanted = _wanted(
                seconds=seconds_per_hour(instance.started_at, end),
                factor=reservation.flavor.gpu_count,
                meter=Meter.GPU_SECONDS,
                price=reservation.quote.compute_unit_price,
                license_price=_license_price(reservation),
            )
        records = UsageRecord.objects.unscoped().select_for_update().filter(instance=instance)
        writes = _write(
            records=records,
            wanted=wanted,
            new={
                "organization_id": instance.organization_id,
                "reservation": reservation,
                "instance": instance,
                "flavor_id": reservation.flavor_id,
                "item_version_id": reservation.item_version_id,
            },
            now=now,
        )
        _move_cursor(reservation=reservation, instance=instance, metered_until=end)
        return writes


def meter_commitment(*, reservation_id: int) -> int:
    """Meter a reserved window: its committed GPU-seconds for every hour of the window, used or not.

    Returns the number of rows written; 0 when nothing changed.
    """
    now = timezone.now()
    with transaction.atomic():
        reservation = (
            Reservation.objects.unscoped()
            .select_for_update(of=("self",))
            .select_related("quote", "flavor", "item_version__item")
            .get(pk=reservation_id)
        )
        if reservation.kind != ReservationKind.RESERVED:
            return 0
        assert reservation.ends_at is not None  # a reserved window has an end (database constraint)
        wanted: dict[Key, Wanted] = {}
        metered_until = reservation.starts_at
        if reservation.state in BILLED_WINDOW_STATES:
            metered_until = reservation.ends_at
            wanted = _wanted(
                seconds=seconds_per_hour(reservation.starts_at, reservation.ends_at),
                factor=reservation.instance_count * reservation.flavor.gpu_count,
                meter=Meter.COMMITTED_GPU_SECONDS,
                price=reservation.quote.compute_unit_price,
                license_price=_license_price(reservation),
            )
        records = UsageRecord.objects.unscoped().select_for_update().filter(reservation=reservation, instance=None)
        writes = _write(
            records=records,
            wanted=wanted,
            new={
                "organization_id": reservation.organization_id,
                "reservation": reservation,
                "instance": None,
                "flavor_id": reservation.flavor_id,
                "item_version_id": reservation.item_version_id,
            },
            now=now,
        )
        _move_cursor(reservation=reservation, instance=None, metered_until=metered_until)
        return writes


@dataclass(frozen=True)
class MeteringRunResult:
    instances: int  # instances metered
    windows: int  # reserved windows metered
    writes: int  # rows written; 0 when the run changed nothing


def metering_run(*, now: datetime) -> MeteringRunResult:
    """Meter everything not yet final: every started instance of an on-demand reservation that is running or whose
    stop is not metered yet (of a failed reservation: whose records are not removed yet), and every reserved window
    that is billed and not ended-and-metered, or unbilled with records left to remove. Each subject is metered in
    its own transaction, so one failure does not block the rest.
    """
    instance_cursor = MeteringCursor.objects.unscoped().filter(instance=OuterRef("pk"))
    instance_ids = list(
        Instance.objects.unscoped()
        .filter(started_at__isnull=False, reservation__kind=ReservationKind.ON_DEMAND)
        .filter(
            ~Q(reservation__state=ReservationState.FAILED)
            & ~Q(Exists(instance_cursor.filter(metered_until=OuterRef("stopped_at"))))
            | Q(reservation__state=ReservationState.FAILED)
            & Q(Exists(instance_cursor.exclude(metered_until=OuterRef("started_at"))))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    window_cursor = MeteringCursor.objects.unscoped().filter(reservation=OuterRef("pk"), instance__isnull=True)
    window_ids = list(
        Reservation.objects.unscoped()
        .filter(kind=ReservationKind.RESERVED)
        .filter(
            Q(state__in=BILLED_WINDOW_STATES)
            & ~Q(Q(state=ReservationState.ENDED) & Q(Exists(window_cursor.filter(metered_until=OuterRef("ends_at")))))
            | Q(state__in=UNBILLED_WINDOW_STATES)
            & Q(Exists(window_cursor.exclude(metered_until=OuterRef("starts_at"))))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    writes = sum(meter_instance(instance_id=pk, until=now) for pk in instance_ids)
    writes += sum(meter_commitment(reservation_id=pk) for pk in window_ids)
    return MeteringRunResult(instances=len(instance_ids), windows=len(window_ids), writes=writes)
