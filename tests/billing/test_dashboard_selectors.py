"""The operator dashboard's reads of billing: the current run's documents by status, revenue month to date."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.invoices.selectors import (
    BillingRunSummary,
    RevenueToDate,
    billing_run_period,
    billing_run_summary,
    revenue_month_to_date,
)
from billing.models import InvoiceReview
from billing.periods import BillingPeriod
from tests.factories import InvoiceFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=BERLIN)
NOVEMBER = datetime(2026, 11, 1, tzinfo=BERLIN)
OCTOBER = datetime(2026, 10, 1, tzinfo=BERLIN)


@pytest.fixture
def documents():
    first, second, third = (OrganizationFactory.create() for _ in range(3))
    InvoiceFactory.create(organization=first, period_start=NOVEMBER, net_amount=Decimal("100.00"))
    reviewed = InvoiceFactory.create(organization=second, period_start=NOVEMBER, net_amount=Decimal("200.00"))
    InvoiceReview.objects.create(
        organization=second, invoice=reviewed, content_hash="0" * 64, reviewed_by_label="operator@kontor.example"
    )
    issued = InvoiceFactory.create(
        organization=third,
        period_start=NOVEMBER,
        net_amount=Decimal("300.00"),
        finalized=True,
        issued_at=datetime(2026, 12, 3, 4, 0, tzinfo=BERLIN),
    )
    InvoiceFactory.create(
        organization=third,
        kind="381",
        credited_invoice=issued,
        period_start=NOVEMBER,
        net_amount=Decimal("50.25"),
        finalized=True,
        issued_at=datetime(2026, 12, 5, 9, 0, tzinfo=BERLIN),
    )
    # October's, issued in November (in neither figure), and one issued on 1 December at 00:30 Berlin time
    # (30 November 23:30 UTC: this month's revenue).
    InvoiceFactory.create(
        organization=first,
        period_start=OCTOBER,
        net_amount=Decimal("999.00"),
        finalized=True,
        issued_at=datetime(2026, 11, 4, tzinfo=BERLIN),
    )
    InvoiceFactory.create(
        organization=second,
        period_start=OCTOBER,
        net_amount=Decimal("10.10"),
        finalized=True,
        issued_at=datetime(2026, 12, 1, 0, 30, tzinfo=BERLIN),
    )


def test_the_current_run_is_last_months_in_berlin():
    assert billing_run_period(now=NOW) == BillingPeriod(2026, 11)
    assert billing_run_period(now=datetime(2026, 1, 1, 0, 30, tzinfo=BERLIN)) == BillingPeriod(2025, 12)


def test_the_current_runs_documents_by_status(documents, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = billing_run_summary(now=NOW)

    assert summary == BillingRunSummary(
        period=BillingPeriod(2026, 11),
        drafts_to_review=1,
        drafts_reviewed=1,
        finalized=1,
        credit_notes=1,
        draft_net=Decimal("300.00"),
        finalized_net=Decimal("300.00"),
    )


def test_revenue_month_to_date_is_invoices_less_credit_notes_issued_this_berlin_month(
    documents, django_assert_num_queries
):
    with django_assert_num_queries(1):
        revenue = revenue_month_to_date(now=NOW)

    assert revenue == RevenueToDate(
        since=datetime(2026, 12, 1, tzinfo=BERLIN),
        invoiced_net=Decimal("310.10"),
        credited_net=Decimal("50.25"),
        invoices=2,
        credit_notes=1,
    )
    assert revenue.net == Decimal("259.85")
