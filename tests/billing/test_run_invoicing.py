"""``manage.py run_invoicing``: meters, drafts and finalizes a month's invoices; a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing.choices import InvoiceStatus
from billing.models import Invoice
from metering.models import UsageRecord
from tests.billing.usage import reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
AFTER_OCTOBER = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        call_command("run_invoicing", "--year", "2026", "--month", "10", "--progress", "never", *args, stdout=out)
    return out.getvalue()


def documents() -> list[tuple[str, str, Decimal, Decimal]]:
    return list(Invoice.objects.unscoped().order_by("pk").values_list("status", "number", "net_amount", "gross_amount"))


def test_drafts_then_finalizes_the_month_and_a_second_run_changes_nothing(reservation):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.5000")
    usage(reservation, datetime(2026, 9, 30, 21, tzinfo=UTC), 3600, "2.5000")  # 23:00 Berlin: September

    drafted = run()
    assert "2026-10: 1 draft(s), 0 finalized, 0 failed." in drafted
    assert documents() == [(InvoiceStatus.DRAFT, "", Decimal("10.00"), Decimal("11.90"))]
    assert run() == drafted
    assert documents() == [(InvoiceStatus.DRAFT, "", Decimal("10.00"), Decimal("11.90"))]

    assert "2026-10: 1 draft(s), 1 finalized, 0 failed." in run("--finalize")
    assert "2026-10: 0 draft(s), 0 finalized, 0 failed." in run("--finalize")
    assert documents() == [(InvoiceStatus.FINALIZED, "KON-2026-000001", Decimal("10.00"), Decimal("11.90"))]
    assert list(UsageRecord.objects.unscoped().order_by("hour").values_list("invoiced_at", flat=True)) == [
        None,  # September's hour is not October's
        AFTER_OCTOBER,
    ]


def test_a_month_without_usage_writes_nothing(reservation):
    assert "2026-10: 0 draft(s), 0 finalized, 0 failed." in run("--finalize")
    assert documents() == []


def test_refuses_a_month_that_does_not_exist(db):
    with pytest.raises(CommandError, match="There is no month 13"):
        call_command("run_invoicing", "--year", "2026", "--month", "13", stdout=StringIO())
