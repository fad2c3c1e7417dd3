"""The monthly billing tasks: draft after the month ends, finalize after the grace period; twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import Invoice, InvoiceLine, InvoiceNumberSeries
from billing.tasks import draft_invoices_task, finalize_invoices_task
from metering.models import UsageRecord
from tests.billing.usage import reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]


def state() -> tuple[object, ...]:
    return (
        list(Invoice.objects.unscoped().order_by("pk").values()),
        list(InvoiceLine.objects.unscoped().order_by("pk").values()),
        list(UsageRecord.objects.unscoped().order_by("pk").values_list("pk", "invoiced_at")),  # type: ignore[misc]
        list(InvoiceNumberSeries.objects.values_list("year", "last_sequence")),
    )


def test_drafting_covers_ended_months_only_and_a_second_run_changes_nothing(reservation, customer):
    usage(reservation, datetime(2026, 9, 10, 10, tzinfo=UTC), 3600, "1.0000")
    usage(reservation, datetime(2026, 10, 31, 22, tzinfo=UTC), 3600, "1.0000")  # 23:00 CET: October
    usage(reservation, datetime(2026, 10, 31, 23, tzinfo=UTC), 3600, "1.0000")  # November: not ended yet

    with time_machine.travel(datetime(2026, 11, 1, 6, tzinfo=UTC), tick=False):
        assert draft_invoices_task.apply().get() == {"documents": 2, "failures": 0}
        after_first = state()
        assert draft_invoices_task.apply().get() == {"documents": 2, "failures": 0}  # found and left as they were

    assert state() == after_first
    assert sorted(
        (start.astimezone(UTC), status)
        for start, status in Invoice.objects.unscoped().values_list("period_start", "status")
    ) == [(datetime(2026, 8, 31, 22, tzinfo=UTC), "draft"), (datetime(2026, 9, 30, 22, tzinfo=UTC), "draft")]


def test_finalizing_waits_for_the_grace_period_and_a_second_run_changes_nothing(reservation, customer):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    with time_machine.travel(datetime(2026, 11, 1, 6, tzinfo=UTC), tick=False):
        draft_invoices_task.apply()

    # October ended at 2026-10-31 23:00 UTC; three days later is 2026-11-03 23:00 UTC.
    with time_machine.travel(datetime(2026, 11, 3, 22, 59, tzinfo=UTC), tick=False):
        assert finalize_invoices_task.apply().get() == {"documents": 0, "failures": 0}
    assert Invoice.objects.unscoped().get().status == "draft"

    with time_machine.travel(datetime(2026, 11, 3, 23, 0, tzinfo=UTC), tick=False):
        assert finalize_invoices_task.apply().get() == {"documents": 1, "failures": 0}
        after_first = state()
        assert finalize_invoices_task.apply().get() == {"documents": 0, "failures": 0}
        assert draft_invoices_task.apply().get() == {"documents": 0, "failures": 0}

    assert state() == after_first
    assert Invoice.objects.unscoped().get().number == "KON-2026-000001"


def test_the_tasks_are_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"billing.draft_invoices", "billing.finalize_invoices"} <= tasks
    assert settings.KONTOR_INVOICE_GRACE_DAYS == 3
