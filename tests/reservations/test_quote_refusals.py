"""The quote page says at once what booking would refuse (quota, the budget's hard cap), with the booking's own checks,
books nothing by looking, and a booked quote offers its reservation instead of a second booking."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from billing.budgets.services import budget_set
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.audit import Actor
from tenants.models import Membership

from .test_web import document, find, snapshot, text, text_of

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def mid_march():
    """Mid-month, so a month's window falls mostly into this month whatever the day the suite runs."""
    with time_machine.travel(datetime(2026, 3, 15, 12, 30, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def owner_client(client: Client, customer) -> Client:
    client.force_login(Membership.objects.for_organization(customer).get().user)
    return client


def quote_page(quote_id: int) -> str:
    return f"/orgs/rheinwerk/quotes/{quote_id}/"


def test_a_quote_beyond_the_quota_says_so_and_offers_no_booking(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x8-metal", count=20)  # 160 GPUs; the default quota is 64
    before = snapshot(customer)

    response = owner_client.get(quote_page(quote.pk))

    refusal = find(document(response), "quote-refusal")
    assert refusal is not None
    assert dict(refusal.attributes)["data-code"] == "quota_exceeded"
    assert text_of(response, "quote-refusal-reason") == (
        "This order needs 160 GPUs; your quota allows 64 at a time and 0 are booked. An owner can request more."
    )
    assert "GPU quota" in text(refusal)
    assert find(document(response), "quote-availability") is None  # no "available now"
    assert find(document(response), "quote-book-form") is None
    assert snapshot(customer) == before
    with pytest.raises(ValidationError) as booked:  # the booking refuses it with the same words
        reservation_create(actor=ACTOR, organization=customer, quote=quote)
    assert booked.value.messages == [text_of(response, "quote-refusal-reason")]


def test_a_quote_beyond_the_hard_cap_says_so_and_offers_no_booking(small_inventory, customer, make_quote, owner_client):
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("1000.00"), hard_cap=True)
    quote = make_quote(flavor="b200-x1", start=0, hours=720)
    before = snapshot(customer)

    response = owner_client.get(quote_page(quote.pk))

    refusal = find(document(response), "quote-refusal")
    assert refusal is not None
    assert dict(refusal.attributes)["data-code"] == "budget_exceeded"
    assert "exceeds the monthly budget of €1,000.00, which is a hard cap" in text_of(response, "quote-refusal-reason")
    assert "Spend and budget" in text(refusal)
    assert find(document(response), "quote-book-form") is None
    assert Reservation.objects.for_organization(customer).count() == 0
    assert snapshot(customer) == before


def test_a_booked_quote_shows_view_reservation_not_book(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x4")
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=quote).reservation

    response = owner_client.get(quote_page(quote.pk))

    link = find(document(response), "quote-view-reservation")
    assert link is not None
    assert dict(link.attributes)["href"] == f"/orgs/rheinwerk/reservations/{reservation.pk}/"
    assert text(link) == "View reservation"
    assert text_of(response, "quote-booked") == "This quote is booked. View reservation"
    assert find(document(response), "quote-book-form") is None
    assert "Confirm and book" not in response.content.decode()
