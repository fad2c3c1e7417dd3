"""The spend page, the budget's share, its alerts and its hard cap count a reserved window from the moment it is booked
(before metering has written a row), with the same figures after metering; the GPU-hours chart tells used hours from
committed future ones and names flavors by their display name."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from billing.budgets.selectors import spend_summary
from billing.budgets.services import budget_check, budget_set
from metering.models import UsageRecord
from metering.selectors import gpu_hours_by_day
from metering.services import metering_run
from reservations.models import Reservation
from reservations.services import reservation_cancel, reservation_create
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership, Organization

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
# Berlin's January runs from 2025-12-31 23:00 to 2026-01-31 23:00 UTC: a 720-hour window from 02:00 fits inside.
JANUARY = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
MID_MARCH = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
WINDOW_PRICE = Decimal("4248.00")  # B200 x1, reserved for a month: 720 h at 5.90 EUR


@pytest.fixture
def january():
    with time_machine.travel(JANUARY, tick=False):
        yield


@pytest.fixture
def mid_march():
    with time_machine.travel(MID_MARCH, tick=False):
        yield


def book_window(customer: Organization, make_quote, **kwargs) -> Reservation:
    quote = make_quote(flavor="b200-x1", **kwargs)
    return reservation_create(actor=ACTOR, organization=customer, quote=quote).reservation


def owner_client(customer: Organization) -> Client:
    client = Client()
    client.force_login(Membership.objects.for_organization(customer).get(role=Role.OWNER).user)
    return client


def text_of(html: str, element_id: str, until: str = "</") -> str:
    """The text from the element with ``element_id`` up to ``until`` (its first closing tag)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?){until}', html, re.S)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_a_booked_window_is_the_forecast_at_once_and_after_metering(january, small_inventory, customer, make_quote):
    reservation = book_window(customer, make_quote)
    assert reservation.quote.net_amount == WINDOW_PRICE
    assert not UsageRecord.objects.for_organization(customer).exists()  # metering has not run

    booked = spend_summary(organization=customer, now=JANUARY)
    metering_run(now=JANUARY)
    metered = spend_summary(organization=customer, now=JANUARY)

    assert (booked.month_to_date, booked.committed_future, booked.forecast) == (
        Decimal("0.00"),
        WINDOW_PRICE,
        WINDOW_PRICE,
    )
    assert UsageRecord.objects.for_organization(customer).count() == 720
    assert metered == booked


def test_a_window_reaching_into_next_month_counts_its_hours_in_this_month(
    mid_march, small_inventory, customer, make_quote
):
    book_window(customer, make_quote)  # 2026-03-15 14:00 UTC for 720 h; March ends 03-31 22:00 UTC (summer time)

    summary = spend_summary(organization=customer, now=MID_MARCH)

    assert summary.committed_future == Decimal("2312.80")  # 392 of its 720 hours at 5.90 EUR
    assert summary.forecast == Decimal("2312.80")


def test_the_spend_page_shows_the_window_right_after_booking_and_the_budget_share_of_it(
    january, small_inventory, customer, make_quote
):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("500.00"), hard_cap=False)
    book_window(customer, make_quote)

    html = owner_client(customer).get(f"/orgs/{customer.slug}/spend/").content.decode()

    assert text_of(html, "spend-month-to-date") == "€0.00"
    assert text_of(html, "spend-committed") == "€4,248.00"
    assert text_of(html, "spend-forecast") == "€4,248.00"
    assert text_of(html, "spend-share-label") == "849.6 % of the budget spent or committed"  # 4,248 / 500
    assert text_of(html, "spend-forecast-share") == "Forecast: 849.6 % of the budget."
    assert 'id="spend-share" class="spend-progress" max="500.00" value="500.00"' in html


def test_alerts_count_a_window_booked_before_metering(
    january, small_inventory, customer, make_quote, mailoutbox, django_capture_on_commit_callbacks
):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("5000.00"), hard_cap=False)
    book_window(customer, make_quote)

    with django_capture_on_commit_callbacks(execute=True):
        check = budget_check(organization=customer, now=JANUARY)

    assert check is not None
    assert (check.spent, check.share, check.sent) == (Decimal("4248.00"), Decimal("84.96"), [50, 80])
    assert len(mailoutbox) == 2


def test_the_hard_cap_counts_windows_booked_already(january, small_inventory, customer, make_quote):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("5000.00"), hard_cap=True)
    book_window(customer, make_quote)
    second = make_quote(flavor="b200-x1")

    with pytest.raises(ValidationError) as refused:
        reservation_create(actor=ACTOR, organization=customer, quote=second)

    assert refused.value.code == "budget_exceeded"
    assert "with €4,248.00 spent or committed so far" in refused.value.messages[0]
    assert Reservation.objects.for_organization(customer).count() == 1


def test_a_cancelled_window_no_longer_counts(january, small_inventory, customer, make_quote):
    reservation = book_window(customer, make_quote)
    metering_run(now=JANUARY)
    reservation_cancel(actor=ACTOR, reservation=reservation)

    summary = spend_summary(organization=customer, now=JANUARY)

    assert UsageRecord.objects.for_organization(customer).count() == 720  # not removed until the next run
    assert (summary.committed_future, summary.forecast) == (Decimal("0.00"), Decimal("0.00"))


def test_the_chart_splits_used_from_committed_hours_by_flavor_name(mid_march, small_inventory, customer, make_quote):
    book_window(customer, make_quote)  # from 2026-03-15 14:00 UTC
    later = MID_MARCH + timedelta(days=2)  # as of 2026-03-17 12:00 UTC

    with time_machine.travel(later, tick=False):
        summary = spend_summary(organization=customer, now=later)
        booked = gpu_hours_by_day(
            organization=customer, start=summary.period.start, end=summary.period.end, as_of=summary.as_of
        )
        metering_run(now=later)
        metered = gpu_hours_by_day(
            organization=customer, start=summary.period.start, end=summary.period.end, as_of=summary.as_of
        )
        html = owner_client(customer).get(f"/orgs/{customer.slug}/usage/").content.decode()

    by_day = {row.day.isoformat(): (row.flavor_name, row.used_hours, row.committed_hours) for row in booked}
    assert by_day["2026-03-15"] == ("B200 ×1", Decimal("10.0000"), Decimal("0.0000"))
    assert by_day["2026-03-16"] == ("B200 ×1", Decimal("24.0000"), Decimal("0.0000"))
    assert by_day["2026-03-17"] == ("B200 ×1", Decimal("12.0000"), Decimal("12.0000"))
    assert by_day["2026-03-31"] == ("B200 ×1", Decimal("0.0000"), Decimal("22.0000"))
    assert len(by_day) == 17
    assert metered == booked
    assert summary.month_to_date == Decimal("271.40")  # 46 h at 5.90
    assert summary.committed_future == Decimal("2041.40")  # 346 h at 5.90
    segments = re.findall(r'data-series="(\w+)" data-flavor="([^"]+)" data-gpu-hours="([\d.]+)"', html)
    assert segments[:4] == [
        ("used", "B200 ×1", "10.0000"),
        ("used", "B200 ×1", "24.0000"),
        ("used", "B200 ×1", "12.0000"),
        ("committed", "B200 ×1", "12.0000"),
    ]
    assert segments.count(("committed", "B200 ×1", "24.0000")) == 13  # 03-18 .. 03-30
    assert "b200-x1" not in html
    assert "Committed (reserved, still to come)" in html
    assert text_of(html, "usage-totals", "</table>") == (
        "Flavor Used GPU-hours Committed GPU-hours B200 ×1 46.0000 346.0000"
    )
