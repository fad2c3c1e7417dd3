"""Metering: exact integer GPU-seconds per UTC hour, never counted twice or lost."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from billing.models import Invoice, InvoiceLine, InvoiceUsage
from metering.choices import Meter
from metering.models import UsageCorrection, UsageRecord
from metering.selectors import DailyUsage, usage_by_day
from metering.services import (
    MeteringRunResult,
    meter_commitment,
    meter_instance,
    metering_run,
    seconds_per_hour,
    usage_seal,
)
from metering.tasks import metering_run_task
from provisioning import services as provisioning
from provisioning.drivers.simulator import simulator_reset_failures
from provisioning.models import Instance
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_cancel, reservation_create, reservation_extend, reservation_transition
from tenants.audit import Actor
from tests.support.html_tables import table_rows

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
# Frozen "now": the quotes' windows start two hours later, at 10:00 UTC.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time_and_fresh_simulator():
    simulator_reset_failures()
    with time_machine.travel(NOW, tick=False):
        yield
    simulator_reset_failures()


@pytest.fixture
def book(small_inventory, customer, make_quote):
    """Book and provision a reservation; returns it and its instance IDs (instances running, started now)."""

    def make(*, commitment="on_demand", flavor="b200-x4", count=1, item="pytorch", hours=24, provision=True):
        on_demand = commitment == "on_demand"
        quote = make_quote(flavor=flavor, count=count, commitment=commitment, item=item, hours=24 if on_demand else 720)
        reservation = reservation_create(actor=ACTOR, organization=customer, quote=quote).reservation
        if not on_demand:  # a short window keeps the expected rows readable; metering reads the reservation's window
            Reservation.objects.unscoped().filter(pk=reservation.pk).update(ends_at=at(10) + timedelta(hours=hours))
            reservation.refresh_from_db()
        if not provision:
            return reservation, []
        reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
        instance_ids = provisioning.reservation_start_provisioning(reservation_id=reservation.pk)
        for instance_id in instance_ids:
            provision_instance_task.apply(args=[instance_id])
        return reservation, instance_ids

    return make


def set_times(instance_id, started_at, stopped_at=None):
    Instance.objects.unscoped().filter(pk=instance_id).update(started_at=started_at, stopped_at=stopped_at)


def rows(**filters):
    return list(
        UsageRecord.objects.unscoped()
        .filter(**filters)
        .order_by("meter", "hour", "instance_id")
        .values_list("meter", "hour", "quantity", "unit_price")
    )


def snapshot():
    return (
        list(UsageRecord.objects.unscoped().order_by("pk").values_list("pk", "quantity", "unit_price", "updated_at")),
        list(UsageCorrection.objects.unscoped().order_by("pk").values_list("pk", "quantity_delta")),
    )


def test_seconds_are_whole_and_cut_at_utc_hours():
    assert seconds_per_hour(at(10, 59, 30), at(12, 0, 15)) == {at(10): 30, at(11): 3600, at(12): 15}
    # Fractions are truncated at both ends, so consecutive hours add up to the whole seconds between the facts.
    assert seconds_per_hour(at(10, 59, 30) + timedelta(microseconds=700_000), at(11, 0, 1)) == {at(10): 30, at(11): 1}
    assert seconds_per_hour(at(11), at(11)) == {}
    # Hours are UTC whatever the offset of the facts (Berlin is UTC+1 in March).
    berlin = datetime(2026, 3, 2, 12, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert seconds_per_hour(berlin, at(13)) == {at(12): 1800}


def test_an_on_demand_instance_is_metered_exactly_across_hour_boundaries(book):
    reservation, (instance_id,) = book(flavor="b200-x4")
    set_times(instance_id, at(10, 59, 30), at(12, 0, 15))

    written = meter_instance(instance_id=instance_id, until=at(13))

    assert written == 3
    assert rows(instance_id=instance_id) == [
        ("gpu_seconds", at(10), 30 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(11), 3600 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(12), 15 * 4, Decimal("6.9000")),
    ]
    record = UsageRecord.objects.unscoped().get(instance_id=instance_id, hour=at(11))
    assert (record.organization_id, record.reservation_id, record.flavor.slug, record.item_version_id) == (
        reservation.organization_id,
        reservation.pk,
        "b200-x4",
        reservation.item_version_id,
    )
    assert record.invoiced_at is None


def test_a_licensed_item_also_meters_the_license_at_the_quotes_license_price(book):
    _, (instance_id,) = book(flavor="b200-x1", item="nim-llama-3-1-8b-instruct")
    set_times(instance_id, at(10, 30), at(11, 10))

    meter_instance(instance_id=instance_id, until=at(12))

    assert rows(instance_id=instance_id) == [
        ("gpu_seconds", at(10), 1800, Decimal("6.9000")),
        ("gpu_seconds", at(11), 600, Decimal("6.9000")),
        ("license_gpu_seconds", at(10), 1800, Decimal("0.8800")),
        ("license_gpu_seconds", at(11), 600, Decimal("0.8800")),
    ]


def test_a_running_instance_is_metered_until_now_and_a_late_stop_rewrites_the_open_hour(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(10))
    meter_instance(instance_id=instance_id, until=at(11, 30))
    assert rows(instance_id=instance_id) == [
        ("gpu_seconds", at(10), 3600 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(11), 1800 * 4, Decimal("6.9000")),
    ]

    # The server was gone at 10:45, but the fact arrived only now: the open hours are rewritten exactly.
    set_times(instance_id, at(10), at(10, 45))
    written = meter_instance(instance_id=instance_id, until=at(12))

    assert written == 2  # one rewritten, one removed
    assert rows(instance_id=instance_id) == [("gpu_seconds", at(10), 2700 * 4, Decimal("6.9000"))]
    assert UsageCorrection.objects.unscoped().count() == 0


def metering_runs_at_once(*, now: datetime, workers: int) -> list[BaseException]:
    """``workers`` threads start ``metering_run(now=now)`` together (each with its own connection); the errors."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def race():
        close_old_connections()
        barrier.wait()
        try:
            metering_run(now=now)
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def seal_hours(instance_id: int, start: datetime, end: datetime, *, when: datetime) -> None:
    """Seal the instance's organization's hours [start, end) as billing does when it finalizes an invoice."""
    organization_id = Instance.objects.unscoped().get(pk=instance_id).organization_id
    with transaction.atomic():
        usage_seal(ranges=[(organization_id, start, end)], at=when)


def test_an_invoiced_hour_never_changes_the_difference_becomes_a_correction(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(10))
    meter_instance(instance_id=instance_id, until=at(10, 30))
    seal_hours(instance_id, at(10), at(11), when=at(10, 31))
    invoiced = UsageRecord.objects.unscoped().get(instance_id=instance_id)

    set_times(instance_id, at(10), at(10, 20))
    assert meter_instance(instance_id=instance_id, until=at(11)) == 1
    assert meter_instance(instance_id=instance_id, until=at(11)) == 0  # found once, recorded once

    record = UsageRecord.objects.unscoped().get(instance_id=instance_id)
    assert (record.pk, record.quantity, record.updated_at, record.invoiced_at) == (
        invoiced.pk,
        1800 * 4,
        invoiced.updated_at,
        at(10, 31),
    )
    assert list(
        UsageCorrection.objects.unscoped().values_list("record_id", "quantity_delta", "unit_price", "credited_at")
    ) == [(record.pk, -600 * 4, Decimal("6.9000"), None)]


def test_a_correction_also_covers_usage_billed_too_low(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(10))
    meter_instance(instance_id=instance_id, until=at(10, 30))
    seal_hours(instance_id, at(10), at(11), when=at(10, 31))

    meter_instance(instance_id=instance_id, until=at(10, 40))
    meter_instance(instance_id=instance_id, until=at(11))

    assert rows(instance_id=instance_id) == [("gpu_seconds", at(10), 1800 * 4, Decimal("6.9000"))]
    assert list(UsageCorrection.objects.unscoped().order_by("pk").values_list("quantity_delta", flat=True)) == [
        600 * 4,
        1200 * 4,
    ]


def test_an_hour_first_metered_after_it_was_invoiced_is_recorded_as_zero_and_a_correction(book):
    _, (instance_id,) = book()
    seal_hours(instance_id, at(9), at(11), when=at(10, 31))  # the organization's hours 09:00-11:00 are invoiced
    set_times(instance_id, at(10, 30), at(11, 15))

    assert meter_instance(instance_id=instance_id, until=at(12)) == 3
    assert meter_instance(instance_id=instance_id, until=at(12)) == 0

    assert rows(instance_id=instance_id) == [
        ("gpu_seconds", at(10), 0, Decimal("6.9000")),
        ("gpu_seconds", at(11), 900 * 4, Decimal("6.9000")),
    ]
    record = UsageRecord.objects.unscoped().get(instance_id=instance_id, hour=at(10))
    assert (record.invoiced_at, UsageRecord.objects.unscoped().get(hour=at(11)).invoiced_at) == (at(10, 31), None)
    assert list(UsageCorrection.objects.unscoped().values_list("record_id", "quantity_delta", "credited_at")) == [
        (record.pk, 1800 * 4, None)
    ]


def test_a_reserved_window_is_billed_whether_used_or_not_and_its_use_is_not_billed_again(book):
    unused, _ = book(commitment="reserved_1m", count=2, hours=3, provision=False)
    used, instance_ids = book(commitment="reserved_1m", count=1, hours=3, item="nim-llama-3-1-8b-instruct")
    set_times(instance_ids[0], at(10), at(11, 30))

    assert meter_commitment(reservation_id=unused.pk) == 3
    assert meter_commitment(reservation_id=used.pk) == 6
    assert metering_run(now=at(14)).writes == 0  # the instance of a reserved window writes nothing

    assert rows(reservation=unused) == [
        ("committed_gpu_seconds", at(hour), 2 * 4 * 3600, Decimal("5.9000")) for hour in (10, 11, 12)
    ]
    # The license is included in the commitment: recorded, at the quote's license price of 0.
    assert rows(reservation=used) == [
        ("committed_gpu_seconds", at(hour), 1 * 4 * 3600, Decimal("5.9000")) for hour in (10, 11, 12)
    ] + [("license_gpu_seconds", at(hour), 1 * 4 * 3600, Decimal("0.0000")) for hour in (10, 11, 12)]
    assert UsageRecord.objects.unscoped().filter(instance__isnull=False).count() == 0


def test_a_window_not_starting_on_the_hour_is_cut_at_the_window(book):
    reservation, _ = book(commitment="reserved_1m", hours=2, provision=False)
    Reservation.objects.unscoped().filter(pk=reservation.pk).update(starts_at=at(10, 15), ends_at=at(11, 45, 10))

    meter_commitment(reservation_id=reservation.pk)

    assert rows(reservation=reservation) == [
        ("committed_gpu_seconds", at(10), 4 * 2700, Decimal("5.9000")),
        ("committed_gpu_seconds", at(11), 4 * 2710, Decimal("5.9000")),
    ]


def test_a_failed_reservation_bills_nothing(book, settings):
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "fail_creates_permanently": True}
    never_started, instance_ids = book()
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "fail_creates_permanently": False}
    never_started.refresh_from_db()
    assert never_started.state == ReservationState.FAILED
    assert Instance.objects.unscoped().get(pk=instance_ids[0]).started_at is None

    # One that ran and was metered, then failed: what was written is removed.
    ran, (instance_id,) = book()
    set_times(instance_id, at(10), at(10, 30))
    window, _ = book(commitment="reserved_1m", hours=2, provision=False)
    metering_run(now=at(11))
    assert UsageRecord.objects.unscoped().count() == 1 + 2
    reservation_transition(actor=ACTOR, reservation=ran, to_state=ReservationState.FAILED)
    reservation_transition(actor=ACTOR, reservation=window, to_state=ReservationState.FAILED)

    result = metering_run(now=at(12))

    assert (result.writes, UsageRecord.objects.unscoped().count()) == (3, 0)
    assert metering_run(now=at(13)).writes == 0


def test_running_metering_twice_changes_nothing_and_final_subjects_are_skipped(book):
    _, (running_id,) = book()
    _, (stopped_id,) = book(item="nim-llama-3-1-8b-instruct", flavor="b200-x1")
    book(commitment="reserved_1m", hours=2, provision=False)
    set_times(running_id, at(10, 0, 5))
    set_times(stopped_id, at(10, 10), at(10, 50))

    first = metering_run(now=at(11, 30))
    before = snapshot()
    second = metering_run(now=at(11, 30))

    assert (first.instances, first.windows, first.writes) == (2, 1, 2 + 2 + 2)
    # Final for now: the stopped instance, the window metered to its end, the running one metered up to "now".
    assert (second.instances, second.windows, second.writes) == (0, 0, 0)
    assert snapshot() == before
    assert rows(instance_id=running_id) == [
        ("gpu_seconds", at(10), 3595 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(11), 1800 * 4, Decimal("6.9000")),
    ]
    assert rows(instance_id=stopped_id) == [
        ("gpu_seconds", at(10), 2400, Decimal("6.9000")),
        ("license_gpu_seconds", at(10), 2400, Decimal("0.8800")),
    ]
    later = metering_run(now=at(11, 45))  # time moved on: only the running instance is metered again
    assert (later.instances, later.windows, later.writes) == (1, 0, 1)
    assert rows(instance_id=running_id)[-1] == ("gpu_seconds", at(11), 2700 * 4, Decimal("6.9000"))


def test_the_periodic_task_run_twice_changes_nothing(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(6), at(7, 30))  # in the past of the frozen clock (08:00)

    first = metering_run_task.apply().get()
    before = snapshot()
    second = metering_run_task.apply().get()

    assert first == {"instances": 1, "windows": 0, "writes": 2}
    assert second == {"instances": 0, "windows": 0, "writes": 0}
    assert snapshot() == before


def test_an_hour_not_on_the_hour_is_refused_by_postgresql(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(10), at(10, 30))
    meter_instance(instance_id=instance_id, until=at(11))
    record = UsageRecord.objects.unscoped().get()

    with pytest.raises(IntegrityError), transaction.atomic():
        UsageRecord.objects.unscoped().filter(pk=record.pk).update(hour=at(10, 0, 1))

    assert UsageRecord.objects.unscoped().get().hour == at(10)


def test_the_same_hour_cannot_be_recorded_twice(book):
    _, (instance_id,) = book()
    set_times(instance_id, at(10), at(10, 30))
    meter_instance(instance_id=instance_id, until=at(11))
    record = UsageRecord.objects.unscoped().get()

    record.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()

    assert UsageRecord.objects.unscoped().count() == 1


def test_usage_by_day_sums_gpu_time_per_utc_day_and_flavor_in_one_query(book, customer, django_assert_num_queries):
    _, (first_id,) = book()
    _, (second_id,) = book(flavor="b200-x1", item="nim-llama-3-1-8b-instruct")
    book(commitment="reserved_1m", hours=2, provision=False)
    set_times(first_id, at(23, 30, day=1), at(0, 45))  # across midnight UTC
    set_times(second_id, at(10), at(10, 0, 1))
    metering_run(now=at(12))

    with django_assert_num_queries(1):
        usage = usage_by_day(organization=customer, start=at(0, day=1), end=at(0, day=3))

    assert usage == [
        DailyUsage(day=at(0, day=1).date(), flavor="b200-x4", gpu_seconds=1800 * 4, gpu_hours=Decimal("2.0000")),
        DailyUsage(day=at(0).date(), flavor="b200-x1", gpu_seconds=1, gpu_hours=Decimal("0.0003")),
        DailyUsage(
            day=at(0).date(), flavor="b200-x4", gpu_seconds=2700 * 4 + 2 * 3600 * 4, gpu_hours=Decimal("11.0000")
        ),
    ]


def test_the_console_lists_usage_records_read_only(book, console_client):
    _, (instance_id,) = book()
    set_times(instance_id, at(10), at(10, 30))
    meter_instance(instance_id=instance_id, until=at(11))

    listing = console_client.get("/ops/metering/usagerecord/", {"meter__exact": Meter.GPU_SECONDS})
    adding = console_client.get("/ops/metering/usagerecord/add/")

    assert (listing.status_code, adding.status_code) == (200, 403)
    rows = table_rows(listing.content.decode(), "result_list")
    hours = rows[0].index("GPU-hours")
    assert [row[hours] for row in rows[1:]] == ["2"]  # 7,200 GPU-seconds


@pytest.mark.django_db(transaction=True)
def test_concurrent_metering_runs_never_count_twice(book):
    """Four workers meter the same instances and window at once: the totals are exactly the expected ones."""
    _, (first_id,) = book()
    _, (second_id,) = book(item="nim-llama-3-1-8b-instruct", flavor="b200-x1")
    book(commitment="reserved_1m", count=2, hours=3, provision=False)
    set_times(first_id, at(10, 59, 30), at(12, 0, 15))
    set_times(second_id, at(10), at(13))
    assert metering_runs_at_once(now=at(14), workers=4) == []
    totals = {
        (meter, instance_id): total
        for meter, instance_id, total in UsageRecord.objects.unscoped()
        .values("meter", "instance_id")
        .annotate(total=Sum("quantity"))
        .values_list("meter", "instance_id", "total")
    }
    assert totals == {
        (Meter.GPU_SECONDS, first_id): (30 + 3600 + 15) * 4,
        (Meter.GPU_SECONDS, second_id): 3 * 3600,
        (Meter.LICENSE_GPU_SECONDS, second_id): 3 * 3600,
        (Meter.COMMITTED_GPU_SECONDS, None): 3 * 2 * 4 * 3600,
    }
    assert UsageRecord.objects.unscoped().count() == 3 + 3 + 3 + 3
    assert metering_run(now=at(14)).writes == 0


@pytest.mark.django_db(transaction=True)
def test_metering_racing_a_finalization_never_changes_what_the_invoice_billed(book, customer):
    """Metering runs rewrite an instance's hours while its organization's invoice is finalized: whichever commits
    first, the sealed hours' records add up to what the invoice billed, and records plus corrections to the facts."""
    _, (instance_id,) = book()
    set_times(instance_id, at(10), at(13))
    metering_run(now=at(14))
    draft = invoice_draft_for_month(organization=customer, year=2026, month=3, now=at(14, 30))
    assert draft is not None
    set_times(instance_id, at(10), at(12, 30))  # the stop was reported late: 30 minutes fewer
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def race(work):
        close_old_connections()
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=race, args=(lambda: metering_run(now=at(14)),)),
        threading.Thread(target=race, args=(lambda: metering_run(now=at(14)),)),
        threading.Thread(
            target=race,
            args=(lambda: invoice_finalize(actor=ACTOR, invoice=draft, require_review=False, now=at(14, 30)),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    invoice = Invoice.objects.unscoped().get(pk=draft.pk)
    billed = (
        UsageRecord.objects.unscoped()
        .filter(pk__in=InvoiceUsage.objects.unscoped().filter(invoice=invoice).values("record_id"))
        .aggregate(total=Sum("quantity"))["total"]
    )
    lines = InvoiceLine.objects.unscoped().filter(invoice=invoice)
    assert invoice.status == "finalized"
    assert sum(line.quantity for line in lines) * 3600 == billed
    assert billed in (150 * 60 * 4, 180 * 60 * 4)  # metered before the finalization, or after it
    corrections = UsageCorrection.objects.unscoped().aggregate(total=Sum("quantity_delta"))["total"] or 0
    assert billed + corrections == 150 * 60 * 4
    assert not UsageRecord.objects.unscoped().filter(invoiced_at__isnull=True).exists()


def test_an_extended_window_is_billed_for_its_new_hours_and_an_ended_one_is_final(book):
    window, _ = book(commitment="reserved_1m", hours=2, provision=False)
    metering_run(now=at(9))

    reservation_extend(actor=ACTOR, reservation=window, ends_at=at(13))
    extended = metering_run(now=at(9))

    assert (extended.windows, extended.writes) == (1, 1)
    assert rows(reservation=window) == [
        ("committed_gpu_seconds", at(hour), 4 * 3600, Decimal("5.9000")) for hour in (10, 11, 12)
    ]
    # Metered to its end: skipped until its end moves again (an extension, above) or it stops being billed.
    assert metering_run(now=at(9)).windows == 0
    for state in (ReservationState.PROVISIONING, ReservationState.ENDING, ReservationState.ENDED):
        reservation_transition(actor=ACTOR, reservation=window, to_state=state)
    assert metering_run(now=at(14)) == MeteringRunResult(instances=0, windows=0, writes=0)  # ended and metered


def test_a_window_cancelled_before_its_start_bills_nothing(book):
    window, _ = book(commitment="reserved_1m", hours=2, provision=False)
    metering_run(now=at(9))
    assert UsageRecord.objects.unscoped().count() == 2

    reservation_cancel(actor=ACTOR, reservation=window)

    assert metering_run(now=at(9)).writes == 2
    assert UsageRecord.objects.unscoped().count() == 0
    assert metering_run(now=at(9)).windows == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's")
def test_a_run_takes_the_same_statements_for_one_instance_as_for_many(book):
    """Set-based: per batch three lock statements and one writing statement, whatever the number of subjects."""
    _, (first_id,) = book()
    set_times(first_id, at(10, 59, 30), at(12, 0, 15))
    with CaptureQueriesContext(connection) as one:
        assert metering_run(now=at(13)).instances == 1

    _, (second_id,) = book()
    _, (third_id,) = book(item="nim-llama-3-1-8b-instruct", flavor="b200-x1")
    set_times(second_id, at(9, 10), at(11, 0, 1))
    set_times(third_id, at(10, 30))
    with CaptureQueriesContext(connection) as many:
        assert metering_run(now=at(13)) == MeteringRunResult(instances=2, windows=0, writes=3 + 3 * 2)

    # The two selections, then the batch: savepoint, SET LOCAL jit, three locks (subjects, their organizations,
    # their records), the write, release.
    assert len(one) == len(many) == 9, [query["sql"][:60] for query in many.captured_queries]
    assert rows(instance_id=second_id) == [
        ("gpu_seconds", at(9), 50 * 60 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(10), 3600 * 4, Decimal("6.9000")),
        ("gpu_seconds", at(11), 1 * 4, Decimal("6.9000")),
    ]
    assert rows(instance_id=third_id) == [
        ("gpu_seconds", at(10), 1800, Decimal("6.9000")),
        ("gpu_seconds", at(11), 3600, Decimal("6.9000")),
        ("gpu_seconds", at(12), 3600, Decimal("6.9000")),
        ("license_gpu_seconds", at(10), 1800, Decimal("0.8800")),
        ("license_gpu_seconds", at(11), 3600, Decimal("0.8800")),
        ("license_gpu_seconds", at(12), 3600, Decimal("0.8800")),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_find_an_invoiced_hours_difference_once(book):
    """Four workers meter instances whose invoiced hours changed: one correction per difference, never two."""
    _, (first_id,) = book()
    window, _ = book(commitment="reserved_1m", hours=2, provision=False)
    set_times(first_id, at(10))
    metering_run(now=at(11, 30))
    hours = sorted(UsageRecord.objects.unscoped().values_list("hour", flat=True))
    seal_hours(first_id, hours[0], hours[-1] + timedelta(hours=1), when=at(11, 31))  # finalized: every hour invoiced
    set_times(first_id, at(10), at(10, 20))  # the stop fact arrives late: hour 10 billed too much, hour 11 not used
    Reservation.objects.unscoped().filter(pk=window.pk).update(ends_at=at(11, 30))  # the window shortened
    assert metering_runs_at_once(now=at(12), workers=4) == []
    corrections = sorted(
        UsageCorrection.objects.unscoped().values_list("record__meter", "record__hour", "quantity_delta")
    )
    assert corrections == [
        (Meter.COMMITTED_GPU_SECONDS, at(11), -1800 * 4),
        (Meter.GPU_SECONDS, at(10), -2400 * 4),
        (Meter.GPU_SECONDS, at(11), -1800 * 4),
    ]
    assert metering_run(now=at(12)).writes == 0
