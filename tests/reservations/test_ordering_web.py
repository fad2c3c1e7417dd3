"""The last steps of the ordering wizard on the catalog's quote page: live availability for an open quote (where it
fits, or the earliest start and the alternatives), the book form for roles that may book, nothing to book on an
expired quote — and that the form posts exactly what the booking view expects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from catalog.models import AvailabilityZone
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership, User
from tests.factories import OrganizationFactory

from .conftest import hour
from .test_web import document, find, snapshot, text, text_of, when

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
MONTH = 24 * 30


def quote_page(quote_id: int) -> str:
    return f"/orgs/rheinwerk/quotes/{quote_id}/"


def book_in(organization, quote, zone_slug: str) -> Reservation:
    zone = AvailabilityZone.objects.get(slug=zone_slug)
    return reservation_create(actor=ACTOR, organization=organization, quote=quote, zone=zone).reservation


def form_html(content: str, element_id: str) -> str:
    """The markup of the form with ``element_id``."""
    start = content.index(f'id="{element_id}"')
    return content[start : content.index("</form>", start)]


@pytest.fixture
def owner_client(client: Client, customer) -> Client:
    client.force_login(Membership.objects.for_organization(customer).get().user)
    return client


def test_an_open_quote_that_fits_shows_where_and_a_book_form(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x4", count=2)

    response = owner_client.get(quote_page(quote.pk))

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert text_of(response, "quote-availability") == "Available in Munich 1a for this window."
    form = find(document(response), "quote-book-form")
    assert form is not None
    attributes = dict(form.attributes)
    assert (attributes["method"], attributes["action"]) == ("post", "/orgs/rheinwerk/reservations/book/")
    content = response.content.decode()
    assert f'<input type="hidden" name="quote" value="{quote.pk}" id="id_quote{quote.pk}_quote">' in content
    key_input = (
        rf'<input type="hidden" name="idempotency_key" value="[0-9a-f-]{{36}}" id="id_quote{quote.pk}_idempotency_key">'
    )
    assert re.search(key_input, content)
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', form_html(content, "quote-book-form")) == [
        ("", "Any zone"),
        ("de-muc-1a", "Munich 1a"),
        ("de-muc-1b", "Munich 1b"),
    ]
    assert text(find(document(response), "quote-book-form")).endswith("Confirm and book")


def test_an_on_demand_quote_is_checked_from_now_in_the_on_demand_pool(
    small_inventory, customer, make_quote, owner_client
):
    quote = make_quote(flavor="b200-x8-metal", commitment="on_demand", hours=24)

    response = owner_client.get(quote_page(quote.pk))

    assert text_of(response, "quote-availability") == "Available now in Munich 1a."


def test_a_quote_that_does_not_fit_shows_the_earliest_start_and_no_alternatives(
    small_inventory, customer, make_quote, owner_client
):
    book_in(customer, make_quote(flavor="b200-x8-metal", count=2), "de-muc-1a")
    book_in(customer, make_quote(flavor="b200-x8-metal", count=2), "de-muc-1b")
    quote = make_quote(flavor="b200-x4")

    response = owner_client.get(quote_page(quote.pk))

    assert response.status_code == 200
    assert text_of(response, "quote-availability") == (
        f"Not available for this window. Earliest start for the same length: {when(hour(MONTH))} "
        "No other zone or flavor has room for it."
    )
    assert find(document(response), "quote-book-form") is not None  # booking says why it fails, with alternatives


def test_a_flavor_without_room_names_the_compatible_alternatives_with_as_many_gpus(
    small_inventory, customer, make_quote, owner_client
):
    quote = make_quote(flavor="rtx-pro-x4")  # no RTX PRO nodes for reserved windows in this inventory

    response = owner_client.get(quote_page(quote.pk))

    assert text_of(response, "quote-earliest-start") == "No booking in sight ends early enough to make room for it."
    assert text_of(response, "quote-alternatives") == (
        "1 × B200 ×4 in Munich 1a 1 × B200 ×4 in Munich 1b 2 × B200 ×2 in Munich 1a 2 × B200 ×2 in Munich 1b "
        "4 × B200 ×1 in Munich 1a"
    )


def test_a_viewer_sees_the_availability_but_no_book_form(small_inventory, customer, make_quote, member_of, client):
    quote = make_quote(flavor="b200-x4", count=2)
    viewer: User = member_of(customer, Role.VIEWER)
    client.force_login(viewer)

    response = client.get(quote_page(quote.pk))

    assert response.status_code == 200
    assert text_of(response, "quote-availability") == "Available in Munich 1a for this window."
    assert find(document(response), "quote-book-form") is None
    assert "idempotency_key" not in response.content.decode()
    assert text_of(response, "quote-book-not-allowed") == "Your role may look at availability, not book."


def test_an_expired_quote_shows_neither_availability_nor_a_book_form(
    small_inventory, customer, make_quote, owner_client
):
    quote = make_quote(flavor="b200-x4")

    with time_machine.travel(quote.valid_until + timedelta(minutes=1), tick=False):
        response = owner_client.get(quote_page(quote.pk))

    assert response.status_code == 200
    assert text_of(response, "quote-status") == "Expired"
    assert find(document(response), "quote-booking") is None
    assert find(document(response), "quote-book-form") is None


def test_the_book_form_on_the_quote_page_books_the_quote(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x4", count=2)
    content = owner_client.get(quote_page(quote.pk)).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', content)
    assert key is not None

    response = owner_client.post(
        "/orgs/rheinwerk/reservations/book/", {"quote": quote.pk, "zone": "", "idempotency_key": key.group(1)}
    )

    reservation = Reservation.objects.for_organization(customer).get()
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/rheinwerk/reservations/{reservation.pk}/"
    assert (reservation.quote_id, reservation.state, reservation.zone.slug, reservation.gpu_count) == (
        quote.pk,
        ReservationState.SCHEDULED,
        "de-muc-1a",
        8,
    )


def test_the_book_form_takes_a_purchase_order_and_refuses_a_bad_one(
    small_inventory, customer, make_quote, owner_client
):
    quote = make_quote(flavor="b200-x4")
    key = re.search(
        r'name="idempotency_key" value="([0-9a-f-]{36})"', owner_client.get(quote_page(quote.pk)).content.decode()
    )
    assert key is not None
    form = {"quote": quote.pk, "zone": "", "idempotency_key": key.group(1)}

    refused = owner_client.post(
        "/orgs/rheinwerk/reservations/book/", {**form, "purchase_order_reference": "P" * 36}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert Reservation.objects.for_organization(customer).count() == 0
    booked = owner_client.post("/orgs/rheinwerk/reservations/book/", {**form, "purchase_order_reference": " PO-4711 "})

    assert refused.status_code == 200
    assert "Die Bestellnummer hat 36 Zeichen; erlaubt sind höchstens 35." in refused.content.decode()
    reservation = Reservation.objects.for_organization(customer).get()
    assert (booked.status_code, reservation.purchase_order_reference) == (302, "PO-4711")
    detail = owner_client.get(booked["Location"]).content.decode()
    assert '<dd id="reservation-purchase-order">PO-4711</dd>' in detail


def test_another_organizations_quote_page_is_not_found_and_changes_nothing(
    small_inventory, customer, make_quote, member_of, client
):
    other = OrganizationFactory.create(legal_name="Delft Digital Twins B.V.", slug="delft", country="NL")
    quote = make_quote(flavor="b200-x4", organization=other)
    client.force_login(Membership.objects.for_organization(customer).get().user)
    before = snapshot(customer)

    response = client.get(quote_page(quote.pk))

    assert response.status_code == 404
    assert snapshot(customer) == before
