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
- An hour not yet invoiced is rewritten with its exact value; an invoiced hour (one a ``UsageSeal`` of the
  organization covers) never changes — the difference becomes a ``UsageCorrection``; a record first metered in an
  invoiced hour is written with quantity 0 and its GPU-seconds become a correction.
- Lock order: the subject's row, then its organization's ``FOR KEY SHARE`` (``usage_organizations_lock``), then its
  records. Finalizing an invoice holds the organization ``FOR UPDATE`` while it seals hours (``usage_seal``), so a
  batch reads the seals either before a finalization began or after it committed, never in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from catalog.choices import License
from metering.choices import BILLED_WINDOW_STATES, UNBILLED_WINDOW_STATES, Meter
from metering.models import MeteringCursor, UsageCorrection, UsageRecord, UsageSeal, hour_sealed
from provisioning.models import Instance
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation

ONE_HOUR = timedelta(hours=1)
ONE_SECOND = timedelta(seconds=1)


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


#: Subjects metered per transaction: one lock, one read and a few bulk writes per batch instead of per subject.
BATCH_SIZE = 500


@dataclass
class _Subject:
    """One instance or reserved window being metered: its locked records, what they should say, how new rows look,
    and how far it is metered when done."""

    records: list[UsageRecord]
    wanted: dict[Key, Wanted]
    new: dict[str, Any]
    reservation: Reservation
    instance: Instance | None
    metered_until: datetime


def usage_organizations_lock(organization_ids: Iterable[int]) -> None:
    """Lock these organizations' rows ``FOR KEY SHARE`` (in ID order) until the transaction ends: metering batches
    share it, a finalization sealing hours (``usage_seal``, under ``FOR UPDATE``) waits for them and they for it.
    Take it before reading records or seals. On SQLite (one writer at a time) there is nothing to lock."""
    ids = sorted(set(organization_ids))
    if ids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM tenants_organization WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [ids])


def usage_seals_of(organization_ids: Iterable[int]) -> dict[int, list[tuple[datetime, datetime]]]:
    """The sealed (invoiced) hour ranges of these organizations, one query."""
    seals: dict[int, list[tuple[datetime, datetime]]] = {}
    rows = UsageSeal.objects.unscoped().filter(organization_id__in=sorted(set(organization_ids)))
    for organization_id, start, end in rows.values_list("organization_id", "hours_start", "hours_end"):
        seals.setdefault(organization_id, []).append((start, end))
    return seals


def usage_seal(*, ranges: Sequence[tuple[int, datetime, datetime]], at: datetime) -> list[UsageSeal]:
    """Seal these (organization, first hour, end) ranges as invoiced at ``at``, one bulk insert: from now on their
    hours never change (differences become corrections). The caller (billing, finalizing) holds the organizations'
    rows ``FOR UPDATE`` in its transaction and seals only hours no seal covers (PostgreSQL refuses an overlap)."""
    return UsageSeal.objects.unscoped().bulk_create(
        UsageSeal(organization_id=organization_id, hours_start=start, hours_end=end, sealed_at=at)
        for organization_id, start, end in ranges
    )


def _write(*, subjects: list[_Subject], now: datetime) -> int:
    """Make every subject's records say what it wants, and move its cursor, in a few bulk statements. The subjects'
    rows (the instance or reservation, their organization and their records) are locked by the caller. Returns rows
    written."""
    seals = usage_seals_of(subject.reservation.organization_id for subject in subjects)
    invoiced = [record.pk for subject in subjects for record in subject.records if record.invoiced_at is not None]
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
    late: list[tuple[UsageRecord, int]] = []  # first metered in an invoiced hour: (the 0 record, its GPU-seconds)
    for subject in subjects:
        existing = {(record.meter, record.hour): record for record in subject.records}
        wanted = subject.wanted
        sealed = seals.get(subject.reservation.organization_id, [])
        for key in sorted(existing.keys() | wanted.keys()):
            record, want = existing.get(key), wanted.get(key)
            if record is None:
                assert want is not None
                is_late = hour_sealed(sealed, key[1])
                record = UsageRecord(
                    **subject.new,
                    meter=key[0],
                    hour=key[1],
                    quantity=0 if is_late else want.quantity,
                    unit_price=want.unit_price,
                    created_at=now,
                    updated_at=now,
                )
                to_create.append(record)
                if is_late and want.quantity:
                    late.append((record, want.quantity))
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
    UsageRecord.objects.unscoped().bulk_create(to_create, batch_size=2000)
    UsageRecord.objects.unscoped().bulk_update(to_update, ["quantity", "unit_price", "updated_at"], batch_size=2000)
    corrections += [
        UsageCorrection(
            organization_id=record.organization_id,
            record=record,
            quantity_delta=quantity,
            unit_price=record.unit_price,
            created_at=now,
        )
        for record, quantity in late
    ]
    UsageCorrection.objects.unscoped().bulk_create(corrections)
    _move_cursors(subjects)
    return len(to_delete) + len(to_create) + len(to_update) + len(corrections)


def _move_cursors(subjects: list[_Subject]) -> None:
    """Each subject's cursor to its ``metered_until``: one read, one bulk update, one bulk insert. Safe without
    ``ON CONFLICT``: the subject's row is locked, so no one else writes its cursor meanwhile."""
    instances = [subject.instance.pk for subject in subjects if subject.instance is not None]
    windows = [subject.reservation.pk for subject in subjects if subject.instance is None]
    cursors = MeteringCursor.objects.unscoped().filter(
        Q(instance__in=instances) | Q(instance__isnull=True, reservation__in=windows)
    )
    existing = {(cursor.reservation_id, cursor.instance_id): cursor for cursor in cursors}
    to_update: list[MeteringCursor] = []
    to_create: list[MeteringCursor] = []
    for subject in subjects:
        key = (subject.reservation.pk, subject.instance.pk if subject.instance is not None else None)
        cursor = existing.get(key)
        if cursor is None:
            to_create.append(
                MeteringCursor(
                    organization_id=subject.reservation.organization_id,
                    reservation=subject.reservation,
                    instance=subject.instance,
                    metered_until=subject.metered_until,
                )
            )
        elif cursor.metered_until != subject.metered_until:
            cursor.metered_until = subject.metered_until
            to_update.append(cursor)
    MeteringCursor.objects.unscoped().bulk_update(to_update, ["metered_until"], batch_size=2000)
    MeteringCursor.objects.unscoped().bulk_create(to_create, batch_size=2000)


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for offset in range(0, len(ids), BATCH_SIZE):
        yield ids[offset : offset + BATCH_SIZE]


def _records_by(field_name: str, ids: list[int], **filters: Any) -> dict[int, list[UsageRecord]]:
    """The records of the subjects, locked, grouped by subject."""
    grouped: dict[int, list[UsageRecord]] = {pk: [] for pk in ids}
    rows = UsageRecord.objects.unscoped().select_for_update().filter(**{f"{field_name}__in": ids}, **filters)
    for record in rows.order_by("pk"):
        grouped[getattr(record, f"{field_name}_id")].append(record)
    return grouped


def meter_instances(*, instance_ids: list[int], until: datetime) -> int:
    """Meter instances of on-demand reservations from ``started_at`` to ``min(stopped_at or until, until)``, a batch
    per transaction (instances locked in id order, so concurrent runs never deadlock).

    Returns the number of rows written (created, rewritten, removed or corrections); 0 when nothing changed.
    """
    writes = 0
    for batch in _batches(sorted(instance_ids)):
        now = timezone.now()
        with transaction.atomic():
            instances = list(
                Instance.objects.unscoped()
                .select_for_update(of=("self",))
                .select_related("reservation__quote", "reservation__flavor", "reservation__item_version__item")
                .filter(pk__in=batch)
                .order_by("pk")
            )
            meterable = [
                instance
                for instance in instances
                if instance.started_at is not None and instance.reservation.kind == ReservationKind.ON_DEMAND
            ]
            usage_organizations_lock(instance.organization_id for instance in meterable)
            records = _records_by("instance", [instance.pk for instance in meterable])
            subjects = [_instance_subject(instance, records[instance.pk], until) for instance in meterable]
            writes += _write(subjects=subjects, now=now)
    return writes


def _instance_subject(instance: Instance, records: list[UsageRecord], until: datetime) -> _Subject:
    reservation = instance.reservation
    assert instance.started_at is not None
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
    return _Subject(
        records=records,
        wanted=wanted,
        new={
            "organization_id": instance.organization_id,
            "reservation": reservation,
            "instance": instance,
            "flavor_id": reservation.flavor_id,
            "item_version_id": reservation.item_version_id,
        },
        reservation=reservation,
        instance=instance,
        metered_until=end,
    )


def meter_instance(*, instance_id: int, until: datetime) -> int:
    """Meter one instance (see ``meter_instances``). Returns the rows written; 0 when nothing changed."""
    return meter_instances(instance_ids=[instance_id], until=until)


def meter_commitments(*, reservation_ids: list[int]) -> int:
    """Meter reserved windows: their committed GPU-seconds for every hour of the window, used or not; a batch per
    transaction. Returns the number of rows written; 0 when nothing changed."""
    writes = 0
    for batch in _batches(sorted(reservation_ids)):
        now = timezone.now()
        with transaction.atomic():
            reservations = [
                reservation
                for reservation in Reservation.objects.unscoped()
                .select_for_update(of=("self",))
                .select_related("quote", "flavor", "item_version__item")
                .filter(pk__in=batch)
                .order_by("pk")
                if reservation.kind == ReservationKind.RESERVED
            ]
            usage_organizations_lock(reservation.organization_id for reservation in reservations)
            records = _records_by("reservation", [reservation.pk for reservation in reservations], instance=None)
            subjects = [_window_subject(reservation, records[reservation.pk]) for reservation in reservations]
            writes += _write(subjects=subjects, now=now)
    return writes


def _window_subject(reservation: Reservation, records: list[UsageRecord]) -> _Subject:
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
    return _Subject(
        records=records,
        wanted=wanted,
        new={
            "organization_id": reservation.organization_id,
            "reservation": reservation,
            "instance": None,
            "flavor_id": reservation.flavor_id,
            "item_version_id": reservation.item_version_id,
        },
        reservation=reservation,
        instance=None,
        metered_until=metered_until,
    )


def meter_commitment(*, reservation_id: int) -> int:
    """Meter one reserved window (see ``meter_commitments``). Returns the rows written; 0 when nothing changed."""
    return meter_commitments(reservation_ids=[reservation_id])


@dataclass(frozen=True)
class MeteringRunResult:
    instances: int  # instances metered
    windows: int  # reserved windows metered
    writes: int  # rows written; 0 when the run changed nothing


def metering_run(*, now: datetime) -> MeteringRunResult:
    """Meter everything not yet final: every started instance of an on-demand reservation not yet metered up to
    ``min(stopped_at, now)`` (of a failed reservation: whose records are not removed yet), and every reserved window
    that is billed and not yet metered to its end, or unbilled with records left to remove. The cursors make a re-run
    with nothing new a single query per kind. Subjects are metered in batches, each batch in its own transaction, so
    one failure does not block the rest for long and a concurrent run waits only for the rows it shares.
    """
    instance_cursor = MeteringCursor.objects.unscoped().filter(instance=OuterRef("pk"))
    metered_to_now = Least(Coalesce(OuterRef("stopped_at"), Value(now)), Value(now))
    instance_ids = list(
        Instance.objects.unscoped()
        .filter(started_at__isnull=False, reservation__kind=ReservationKind.ON_DEMAND)
        .filter(
            ~Q(reservation__state=ReservationState.FAILED)
            & ~Q(Exists(instance_cursor.filter(metered_until=metered_to_now)))
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
            Q(state__in=BILLED_WINDOW_STATES) & ~Q(Exists(window_cursor.filter(metered_until=OuterRef("ends_at"))))
            | Q(state__in=UNBILLED_WINDOW_STATES)
            & Q(Exists(window_cursor.exclude(metered_until=OuterRef("starts_at"))))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    writes = meter_instances(instance_ids=instance_ids, until=now)
    writes += meter_commitments(reservation_ids=window_ids)
    return MeteringRunResult(instances=len(instance_ids), windows=len(window_ids), writes=writes)
