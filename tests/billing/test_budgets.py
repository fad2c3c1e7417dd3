from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.budgets.selectors import spend_summary
from billing.budgets.services import budget_check, budget_set
from billing.models import Budget, BudgetAlert
from billing.tasks import check_budgets_task
from core import events
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.models import Membership
from tests.billing.usage import ACTOR, reservation, usage  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(travel, reservation):  # noqa: F811
    usage(reservation, datetime(2026, 2, 28, 22, tzinfo=UTC), 3600, "9.0000")  # February in Berlin
    usage(reservation, datetime(2026, 3, 1, 0, tzinfo=UTC), 3600, "2.5000")
    usage(reservation, datetime(2026, 3, 15, 11, tzinfo=UTC), 1800, "3.3333")
    usage(reservation, datetime(2026, 3, 15, 12, tzinfo=UTC), 3600, "1.0000")  # current hour: not passed
    usage(reservation, datetime(2026, 3, 20, 0, tzinfo=UTC), 7200, "1.0000")
    return reservation


def test_month_to_date_and_forecast_are_exact(booked, customer):
    summary = spend_summary(organization=customer, now=NOW)
    assert summary.month_to_date == Decimal("4.17")  # 2.5 + 1.66665
    assert summary.committed_future == Decimal("3.00")
    assert summary.forecast == Decimal("7.17")  # 4.16665 + 0 run rate + 3, rounded once


def test_alerts_once_each_with_emails_and_events(booked, customer, mailoutbox, django_capture_on_commit_callbacks):
    seen: list[tuple[str, int, dict[str, str]]] = []

    def record(event: events.Event) -> None:
        seen.append((event.name, event.organization_id, dict(event.data)))

    events.subscribe()(record)
    try:
        budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("8.00"), hard_cap=False)
        with django_capture_on_commit_callbacks(execute=True):
            first = budget_check(organization=customer, now=NOW)
        assert first is not None
        assert first.spent == Decimal("7.17")  # spent 4.17 + committed 3.00: the figure the page shows
        assert first.share == Decimal("89.625")
        assert first.sent == [50, 80]
        assert len(mailoutbox) == 2
        assert "50 %" in mailoutbox[0].subject
        assert "has spent or committed €7.17 (net)" in mailoutbox[0].body
        budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("7.17"), hard_cap=False)
        with django_capture_on_commit_callbacks(execute=True):
            second = check_budgets_task()
            third = check_budgets_task()
        assert second == {"organizations": 1, "alerts": 1}
        assert third == {"organizations": 1, "alerts": 0}
        assert list(BudgetAlert.objects.for_organization(customer).values_list("threshold", flat=True)) == [50, 80, 100]
        assert len(mailoutbox) == 3
        assert [payload["threshold"] for _event, _org, payload in seen] == ["50", "80", "100"]
        assert {event for event, _org, _payload in seen} == {"budget.threshold_reached"}
    finally:
        events.unsubscribe(record)


def test_hard_cap_refuses_booking_with_reason_and_stores_nothing(booked, customer, make_quote):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("5.00"), hard_cap=True)
    quote = make_quote(flavor="b200-x4", commitment="on_demand", hours=24)
    before = Reservation.objects.for_organization(customer).count()
    with pytest.raises(ValidationError) as refused:
        reservation_create(actor=ACTOR, organization=customer, quote=quote)
    assert refused.value.code == "budget_exceeded"
    assert "with €7.17 spent or committed so far that exceeds the monthly budget of €5.00" in refused.value.messages[0]
    assert Reservation.objects.for_organization(customer).count() == before


def test_without_hard_cap_booking_goes_ahead(booked, customer, make_quote):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("5.00"), hard_cap=False)
    quote = make_quote(flavor="b200-x4", commitment="on_demand", hours=24)
    assert reservation_create(actor=ACTOR, organization=customer, quote=quote).created
    assert Budget.objects.for_organization(customer).get().hard_cap is False


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "de",
            "Rheinwerk Robotics GmbH hat im März 2026 7,17\u00a0€ (netto) ausgegeben oder zugesagt: 50 % des "
            "Monatsbudgets von 12,00\u00a0€.",
        ),
        (
            "en",
            "Rheinwerk Robotics GmbH has spent or committed €7.17 (net) in March 2026: 50 % of its monthly budget of "
            "€12.00.",
        ),
    ],
)
def test_the_alert_email_shows_money_in_the_recipients_language(
    booked, customer, mailoutbox, django_capture_on_commit_callbacks, language, sentence
):
    owner = Membership.objects.for_organization(customer).get().user
    owner.preferred_language = language
    owner.save(update_fields=["preferred_language"])
    # Spent 4.17 and committed 3.00 of 12.00: 59.75 %, the 50 % alert only.
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("12.00"), hard_cap=False)

    with django_capture_on_commit_callbacks(execute=True):
        budget_check(organization=customer, now=NOW)

    assert len(mailoutbox) == 1
    assert sentence in mailoutbox[0].body
