"""The portal's reservation pages: booking from a quote (once, however often the form is sent), no capacity with
alternatives, cancel, release and extend with their refusals, organization scoping and roles, the capacity chart and
the quota request — and that every refusal changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from catalog.models import AvailabilityZone
from reservations.choices import QuotaRequestStatus, ReservationState
from reservations.models import Allocation, IdempotencyKey, QuotaRequest, Reservation
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Consent, LegalDocument, Membership, Organization, User
from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import hour

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
MONTH = 24 * 30
LIST = "/orgs/rheinwerk/reservations/"


# --- Helpers ----------------------------------------------------------------------------------------------------


def document(response) -> Element:
    return parse_html(response.content.decode())


def find(element: Element, element_id: str) -> Element | None:
    for child in element.children:
        if isinstance(child, Element):
            if dict(child.attributes).get("id") == element_id:
                return child
            found = find(child, element_id)
            if found is not None:
                return found
    return None


def find_all(element: Element, name: str) -> list[Element]:
    found = []
    for child in element.children:
        if isinstance(child, Element):
            if child.name == name:
                found.append(child)
            found.extend(find_all(child, name))
    return found


def text(element: Element | str) -> str:
    if isinstance(element, str):
        return element
    parts = (text(child) for child in element.children if not (isinstance(child, Element) and child.name == "title"))
    return " ".join(" ".join(parts).split())


def text_of(response, element_id: str) -> str:
    element = find(document(response), element_id)
    assert element is not None, f"no #{element_id} on the page"
    return text(element)


def rows(response, table_id: str) -> list[list[str]]:
    table = find(document(response), table_id)
    assert table is not None, f"no #{table_id} on the page"
    body = find_all(table, "tbody")[0]
    return [[text(cell) for cell in row.children if isinstance(cell, Element)] for row in find_all(body, "tr")]


def book_form_key(response, quote_id: int) -> str:
    match = re.search(
        rf'name="idempotency_key" value="([0-9a-f-]{{36}})" id="id_quote{quote_id}_idempotency_key"',
        response.content.decode(),
    )
    assert match, f"no booking form for quote {quote_id}"
    return match.group(1)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def snapshot(organization: Organization) -> dict[str, object]:
    """Everything these pages could change for the organization."""
    return {
        "reservations": list(
            Reservation.objects.for_organization(organization)
            .order_by("id")
            .values_list("id", "state", "zone_id", "starts_at", "ends_at")
        ),
        "allocations": list(
            Allocation.objects.for_organization(organization)
            .order_by("id")
            .values_list("id", "node_id", "gpu_first", "gpu_count", "ends_at", "released_at")
        ),
        "idempotency_keys": IdempotencyKey.objects.for_organization(organization).count(),
        "quota_requests": QuotaRequest.objects.for_organization(organization).count(),
        "audit_events": AuditEvent.objects.for_organization(organization).count(),
    }


def book(organization, quote, zone=None):
    return reservation_create(actor=ACTOR, organization=organization, quote=quote, zone=zone).reservation


def zone(slug: str) -> AvailabilityZone:
    return AvailabilityZone.objects.get(slug=slug)


@pytest.fixture
def owner_user(customer) -> User:
    return Membership.objects.for_organization(customer).get().user


@pytest.fixture
def owner_client(client: Client, owner_user: User) -> Client:
    client.force_login(owner_user)
    return client


@pytest.fixture
def other_customer(catalog) -> Organization:
    """Another active organization with its legal documents accepted: it can book too."""
    organization = OrganizationFactory.create(legal_name="Delft Digital Twins B.V.", slug="delft", country="NL")
    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    for legal_document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=legal_document, user=owner)
    return organization


# --- The list and booking ---------------------------------------------------------------------------------------


def test_the_list_offers_open_quotes_to_book_and_links_to_the_catalog(
    small_inventory, customer, make_quote, owner_client
):
    expired = make_quote(flavor="b200-x2")
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        metal = make_quote(flavor="b200-x8-metal")
        on_demand = make_quote(flavor="b200-x1", commitment="on_demand", hours=24)
    with time_machine.travel(expired.valid_until, tick=False):
        later = make_quote(flavor="b200-x4")

        response = owner_client.get(LIST)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    content = response.content.decode()
    assert re.findall(r'<li class="card offer" id="quote-(\d+)">', content) == [
        str(later.pk),
        str(on_demand.pk),
        str(metal.pk),
    ]
    assert '<a href="/catalog/">Get a quote in the catalog</a>' in content
    assert '<a href="/orgs/rheinwerk/quota/">GPU quota</a>' in content
    zone_options = re.findall(
        rf'<select name="zone" id="id_quote{metal.pk}_zone">(.*?)</select>', content, flags=re.DOTALL
    )[0]
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', zone_options) == [
        ("", "Any zone"),
        ("de-muc-1a", "Munich 1a"),
        ("de-muc-1b", "Munich 1b"),
    ]
    assert text_of(response, "no-reservations") == "No reservations yet."


def test_owner_books_an_open_quote_and_sees_its_gpus(small_inventory, customer, make_quote, owner_client):
    quote = make_quote()
    key = book_form_key(owner_client.get(LIST), quote.pk)

    response = owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "", "idempotency_key": key})

    reservation = Reservation.objects.for_organization(customer).get()
    assert (response.status_code, response.url) == (302, f"{LIST}{reservation.pk}/")
    assert (
        reservation.state,
        reservation.quote_id,
        reservation.zone.slug,
        reservation.starts_at,
        reservation.ends_at,
    ) == (
        ReservationState.SCHEDULED,
        quote.pk,
        "de-muc-1a",
        hour(0),
        hour(MONTH),
    )
    assert list(IdempotencyKey.objects.for_organization(customer).values_list("key", "reservation_id")) == [
        (key, reservation.pk)
    ]
    detail = owner_client.get(response.url)
    assert page_messages(detail) == [f"Reservation {reservation.pk} is booked: 4 GPUs in Munich 1a."]
    assert text_of(detail, "reservation-state") == "Scheduled"
    assert text_of(detail, "reservation-gpus") == "4"
    assert rows(detail, "allocations") == [
        [
            "1",
            "de-muc-1a-reservable-0",
            "0, 1, 2, 3",
            date_format(timezone.localtime(hour(0)), "SHORT_DATETIME_FORMAT"),
            date_format(timezone.localtime(hour(MONTH)), "SHORT_DATETIME_FORMAT"),
        ]
    ]
    listed = owner_client.get(LIST)
    assert rows(listed, "reservations")[0][0] == f"Reservation {reservation.pk}"
    assert '<span class="badge badge-reservation-scheduled">Scheduled</span>' in listed.content.decode()
    assert f"Booked already as: Reservation {reservation.pk} View reservation" in text_of(listed, f"quote-{quote.pk}")
    assert dict(find(document(listed), f"quote-{quote.pk}-view-reservation").attributes)["href"] == (
        f"/orgs/rheinwerk/reservations/{reservation.pk}/"
    )


def test_a_double_submitted_form_books_once(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x2")
    form = {"quote": quote.pk, "zone": "de-muc-1b", "idempotency_key": book_form_key(owner_client.get(LIST), quote.pk)}

    first = owner_client.post(f"{LIST}book/", form)
    second = owner_client.post(f"{LIST}book/", form, follow=True)

    reservation = Reservation.objects.for_organization(customer).get()
    assert first.url == second.redirect_chain[0][0] == f"{LIST}{reservation.pk}/"
    assert page_messages(second) == [
        f"Reservation {reservation.pk} is booked: 2 GPUs in Munich 1b.",
        "This form was sent before; this is the reservation it booked.",
    ]
    assert Allocation.objects.for_organization(customer).count() == 1
    assert IdempotencyKey.objects.for_organization(customer).count() == 1


def test_each_rendering_of_the_page_has_new_keys(small_inventory, customer, make_quote, owner_client):
    quote = make_quote()

    assert book_form_key(owner_client.get(LIST), quote.pk) != book_form_key(owner_client.get(LIST), quote.pk)


def test_a_key_sent_again_with_other_choices_is_refused_and_changes_nothing(
    small_inventory, customer, make_quote, owner_client
):
    quote = make_quote(flavor="b200-x2")
    key = book_form_key(owner_client.get(LIST), quote.pk)
    owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "de-muc-1a", "idempotency_key": key})
    before = snapshot(customer)

    response = owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "de-muc-1b", "idempotency_key": key})

    assert response.status_code == 200
    assert text_of(response, "booking-problem") == (
        f"Quote {quote.pk} was not booked. This form was already sent with other choices. Please choose again and book."
    )
    # The quote is booked (by the first send): it offers its reservation, no second booking form.
    assert f'id="id_quote{quote.pk}_idempotency_key"' not in response.content.decode()
    assert dict(find(document(response), f"quote-{quote.pk}-view-reservation").attributes)["href"] == (
        f"/orgs/rheinwerk/reservations/{Reservation.objects.for_organization(customer).get().pk}/"
    )
    assert snapshot(customer) == before


def test_no_capacity_shows_the_reason_the_earliest_start_and_the_alternatives(
    small_inventory, customer, make_quote, owner_client
):
    book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone("de-muc-1a"))
    quote = make_quote(flavor="b200-x8-metal")
    key = book_form_key(owner_client.get(LIST), quote.pk)
    before = snapshot(customer)

    response = owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "de-muc-1a", "idempotency_key": key})

    assert response.status_code == 200
    assert snapshot(customer) == before
    problem = find(document(response), "booking-problem")
    assert dict(problem.attributes)["role"] == "alert"
    assert text_of(response, "earliest-start") == (f"Earliest start for the same length: {when(hour(MONTH))}")
    assert text(problem).startswith(
        f"Quote {quote.pk} was not booked. These GPUs are no longer available for this window."
    )
    assert rows(response, "alternatives") == [
        ["Munich 1b", "B200 ×8 bare metal", "1", "Book in Munich 1b"],
        ["Munich 1b", "B200 ×4", "2", "Get a quote for this"],
        ["Munich 1b", "B200 ×2", "4", "Get a quote for this"],
        ["Munich 1b", "B200 ×1", "8", "Get a quote for this"],
    ]
    assert '<a href="/catalog/pytorch/">Get a quote for this</a>' in response.content.decode()
    content = response.content.decode()
    assert re.search(
        rf'<select name="zone" id="id_quote{quote.pk}_zone">.*?<option value="de-muc-1a" selected>', content, re.DOTALL
    )
    alternative_key = re.search(
        r'<input type="hidden" name="zone" value="de-muc-1b">'
        r'<input type="hidden" name="idempotency_key" value="([^"]+)"',
        content,
    )
    assert alternative_key

    booked = owner_client.post(
        f"{LIST}book/", {"quote": quote.pk, "zone": "de-muc-1b", "idempotency_key": alternative_key.group(1)}
    )

    assert booked.status_code == 302
    assert list(
        Reservation.objects.for_organization(customer).order_by("id").values_list("zone__slug", "flavor__slug")
    ) == [("de-muc-1a", "b200-x8-metal"), ("de-muc-1b", "b200-x8-metal")]


def test_no_capacity_speaks_german_when_asked(small_inventory, customer, make_quote, owner_client):
    book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone("de-muc-1a"))
    quote = make_quote(flavor="b200-x8-metal")
    key = book_form_key(owner_client.get(LIST), quote.pk)
    before = snapshot(customer)

    response = owner_client.post(
        f"{LIST}book/", {"quote": quote.pk, "zone": "de-muc-1a", "idempotency_key": key}, HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()
    assert "Diese GPUs sind für dieses Zeitfenster nicht mehr verfügbar." in text_of(response, "booking-problem")
    assert snapshot(customer) == before


def test_a_service_refusal_is_shown_in_the_users_language(small_inventory, customer, make_quote, owner_client):
    quote = make_quote(flavor="b200-x8-metal", count=9)  # 72 GPUs: over the default quota of 64
    key = book_form_key(owner_client.get(LIST), quote.pk)
    before = snapshot(customer)

    response = owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "", "idempotency_key": key})

    assert response.status_code == 200
    assert text_of(response, "booking-problem") == (
        f"Quote {quote.pk} was not booked. This order needs 72 GPUs; your quota allows 64 at a time and 0 are booked. "
        "An owner can request more."
    )
    assert snapshot(customer) == before


def test_another_organizations_quote_cannot_be_booked(
    small_inventory, customer, other_customer, make_quote, owner_client
):
    foreign = make_quote(organization=other_customer)
    before = (snapshot(customer), snapshot(other_customer))

    response = owner_client.post(
        f"{LIST}book/", {"quote": foreign.pk, "zone": "", "idempotency_key": "6f1c1f0e-8f1e-4a43-9a57-1d0c5e3f7a10"}
    )

    assert response.status_code == 200
    assert text_of(response, "booking-problem") == f"Quote {foreign.pk} was not booked. There is no quote {foreign.pk}."
    assert f"quote-{foreign.pk}" not in response.content.decode()
    assert (snapshot(customer), snapshot(other_customer)) == before


def test_a_tampered_form_is_refused_and_changes_nothing(small_inventory, customer, make_quote, owner_client):
    quote = make_quote()
    before = snapshot(customer)

    response = owner_client.post(f"{LIST}book/", {"quote": quote.pk, "zone": "mars-1", "idempotency_key": "x"})

    assert response.status_code == 200
    assert text_of(response, "booking-problem") == (
        "Select a valid choice. mars-1 is not one of the available choices. Enter a valid UUID."
    )
    assert snapshot(customer) == before


def test_a_viewer_sees_the_reservations_but_cannot_book(small_inventory, customer, make_quote, member_of, client):
    reservation = book(customer, make_quote())
    quote = make_quote(flavor="b200-x1")
    client.force_login(member_of(customer, Role.VIEWER))
    before = snapshot(customer)

    page = client.get(LIST)
    refused = client.post(
        f"{LIST}book/", {"quote": quote.pk, "zone": "", "idempotency_key": "6f1c1f0e-8f1e-4a43-9a57-1d0c5e3f7a10"}
    )
    cancel = client.post(f"{LIST}{reservation.pk}/cancel/", {"confirm": "1"})
    detail = client.get(f"{LIST}{reservation.pk}/")

    assert page.status_code == 200
    assert [row[0] for row in rows(page, "reservations")] == [f"Reservation {reservation.pk}"]
    assert "book-title" not in page.content.decode()
    assert (refused.status_code, cancel.status_code) == (403, 403)
    assert detail.status_code == 200
    assert "/cancel/" not in detail.content.decode()
    assert snapshot(customer) == before


def test_another_organizations_pages_and_reservations_are_not_found(
    small_inventory, customer, other_customer, make_quote, owner_client
):
    foreign = book(other_customer, make_quote(organization=other_customer))
    before = snapshot(other_customer)

    responses = [
        owner_client.get("/orgs/delft/reservations/"),
        owner_client.get("/orgs/does-not-exist/reservations/"),
        owner_client.get(f"/orgs/delft/reservations/{foreign.pk}/"),
        owner_client.get(f"{LIST}{foreign.pk}/"),
        owner_client.post(f"{LIST}{foreign.pk}/cancel/", {"confirm": "1"}),
        owner_client.post(f"{LIST}{foreign.pk}/release/", {"confirm": "1"}),
        owner_client.post(f"{LIST}{foreign.pk}/extend/", {"ends_at": "2099-01-01T00:00"}),
        owner_client.post("/orgs/delft/reservations/book/", {}),
        owner_client.get("/orgs/delft/quota/"),
    ]

    assert [response.status_code for response in responses] == [404] * 9
    assert snapshot(other_customer) == before


def test_the_list_is_paginated_newest_first_with_a_constant_number_of_queries(
    small_inventory, customer, make_quote, owner_client
):
    first = book(customer, make_quote(flavor="b200-x1"))
    with CaptureQueriesContext(connection) as few:
        owner_client.get(LIST)
    booked = [first] + [book(customer, make_quote(flavor="b200-x1")) for _ in range(25)]
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(LIST)
    older = owner_client.get(f"{LIST}?page=2")

    assert len(many.captured_queries) == len(few.captured_queries)
    assert [row[0] for row in rows(response, "reservations")] == [
        f"Reservation {reservation.pk}" for reservation in reversed(booked[1:])
    ]
    assert [row[0] for row in rows(older, "reservations")] == [f"Reservation {first.pk}"]
    assert "Page 2 of 2" in text(find(document(older), "main"))


# --- Cancel, release, extend ------------------------------------------------------------------------------------


def test_cancel_asks_first_then_cancels_for_free(small_inventory, customer, make_quote, owner_client):
    reservation = book(customer, make_quote())
    before = snapshot(customer)

    asked = owner_client.post(f"{LIST}{reservation.pk}/cancel/")

    assert asked.status_code == 200
    assert text_of(asked, "confirm-consequences") == (
        "The reservation has not started: cancelling is free, and its GPUs are released at once for others to book. "
        "This cannot be undone."
    )
    assert snapshot(customer) == before

    done = owner_client.post(f"{LIST}{reservation.pk}/cancel/", {"confirm": "1"}, follow=True)

    reservation.refresh_from_db()
    assert (reservation.state, reservation.state_reason) == (ReservationState.CANCELLED, "cancelled before the start")
    assert Allocation.objects.for_organization(customer).filter(released_at__isnull=True).count() == 0
    assert page_messages(done) == [f"Reservation {reservation.pk} is cancelled."]
    assert text_of(done, "no-allocations") == "This reservation holds no GPUs (any more)."
    assert "/cancel/" not in done.content.decode()
    cancelled = snapshot(customer)

    again = owner_client.post(f"{LIST}{reservation.pk}/cancel/", {"confirm": "1"}, follow=True)

    assert page_messages(again) == ["A reservation cannot go from Cancelled to Cancelled."]
    assert snapshot(customer) == cancelled


def test_the_detail_page_explains_the_policy_and_offers_what_the_state_allows(
    small_inventory, customer, make_quote, owner_client
):
    reservation = book(customer, make_quote())

    content = owner_client.get(f"{LIST}{reservation.pk}/").content.decode()

    assert "Cancelling is free before the start" in content
    assert "a reserved window is charged in full" in content
    assert [f"{LIST}{reservation.pk}/{action}/" in content for action in ("cancel", "release", "extend")] == [
        True,
        False,
        True,
    ]


def test_release_of_a_running_reserved_window_is_charged_in_full_and_ends_it(
    small_inventory, customer, make_quote, owner_client
):
    reservation = book(customer, make_quote())
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ACTIVE)

    with time_machine.travel(hour(3), tick=False):
        detail = owner_client.get(f"{LIST}{reservation.pk}/").content.decode()
        asked = owner_client.post(f"{LIST}{reservation.pk}/release/")
        done = owner_client.post(f"{LIST}{reservation.pk}/release/", {"confirm": "1"}, follow=True)

    assert [f"{LIST}{reservation.pk}/{action}/" in detail for action in ("cancel", "release", "extend")] == [
        False,
        True,
        True,
    ]
    assert text_of(asked, "confirm-consequences") == (
        "Its servers are removed now and its GPUs released. This is an early release of a reserved window: the "
        "window is charged in full, at the committed price. This cannot be undone."
    )
    reservation.refresh_from_db()
    assert (reservation.state, reservation.state_reason, reservation.ends_at) == (
        ReservationState.ENDING,
        "released early",
        hour(MONTH),
    )
    assert list(Allocation.objects.for_organization(customer).values_list("ends_at", flat=True)) == [hour(3)]
    assert page_messages(done) == [f"Reservation {reservation.pk} is being released; its servers are removed now."]


def test_cancelling_after_the_start_asks_with_the_early_release_terms(
    small_inventory, customer, make_quote, owner_client
):
    reservation = book(customer, make_quote(flavor="b200-x1", commitment="on_demand", hours=24))
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ACTIVE)
    before = snapshot(customer)

    asked = owner_client.post(f"{LIST}{reservation.pk}/cancel/")

    assert text_of(asked, "confirm-consequences") == (
        "Its servers are removed now and its GPUs released. Charging of this on-demand reservation stops now. "
        "This cannot be undone."
    )
    assert snapshot(customer) == before


def test_releasing_a_reservation_that_is_not_running_is_refused_and_changes_nothing(
    small_inventory, customer, make_quote, owner_client
):
    reservation = book(customer, make_quote())
    before = snapshot(customer)

    response = owner_client.post(f"{LIST}{reservation.pk}/release/", {"confirm": "1"}, follow=True)

    assert response.redirect_chain == [(f"{LIST}{reservation.pk}/", 302)]
    assert page_messages(response) == ["Only a running reservation can be released (state: Scheduled)."]
    assert snapshot(customer) == before


def test_extend_keeps_the_same_gpus(small_inventory, customer, make_quote, owner_client):
    reservation = book(customer, make_quote(flavor="b200-x8-metal"))
    new_end = timezone.localtime(hour(MONTH + 48))

    response = owner_client.post(
        f"{LIST}{reservation.pk}/extend/", {"ends_at": new_end.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )

    reservation.refresh_from_db()
    assert reservation.ends_at == hour(MONTH + 48)
    assert list(
        Allocation.objects.for_organization(customer).values_list("node__hostname", "gpu_first", "ends_at")
    ) == [("de-muc-1a-reservable-0", 0, hour(MONTH + 48))]
    assert page_messages(response) == [f"Reservation {reservation.pk} now ends {when(new_end)}, on the same GPUs."]


def test_a_refused_extension_says_until_when_it_is_possible_and_changes_nothing(
    small_inventory, customer, make_quote, owner_client
):
    first = book(customer, make_quote(flavor="b200-x8-metal", count=2), zone=zone("de-muc-1a"))
    book(customer, make_quote(flavor="b200-x8-metal", count=2, start=MONTH + 24), zone=zone("de-muc-1a"))
    before = snapshot(customer)

    response = owner_client.post(
        f"{LIST}{first.pk}/extend/",
        {"ends_at": timezone.localtime(hour(MONTH + 48)).strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 200
    possible = timezone.localtime(hour(MONTH + 24))
    assert text_of(response, "extension-refused") == (
        f"The same GPUs are booked from {when(possible)}; the reservation can be extended "
        f"until then. Latest possible end: {when(possible)} Extend until "
        f"{date_format(possible, 'SHORT_DATETIME_FORMAT')}"
    )
    assert f'name="ends_at" value="{possible.strftime("%Y-%m-%dT%H:%M")}"' in response.content.decode()
    assert snapshot(customer) == before


def test_an_extension_must_end_later_and_nothing_changes(small_inventory, customer, make_quote, owner_client):
    reservation = book(customer, make_quote())
    on_demand = book(customer, make_quote(flavor="b200-x1", commitment="on_demand", hours=24))
    before = snapshot(customer)

    earlier = owner_client.post(
        f"{LIST}{reservation.pk}/extend/",
        {"ends_at": timezone.localtime(hour(MONTH - 1)).strftime("%Y-%m-%dT%H:%M")},
    )
    not_a_window = owner_client.post(
        f"{LIST}{on_demand.pk}/extend/", {"ends_at": timezone.localtime(hour(48)).strftime("%Y-%m-%dT%H:%M")}
    )

    assert earlier.status_code == not_a_window.status_code == 200
    assert earlier.context["extend_form"].errors == {"ends_at": ["The new end must be after the current end."]}
    assert not_a_window.context["extend_form"].errors == {
        "__all__": ["Only a scheduled or running reserved window can be extended."]
    }
    assert snapshot(customer) == before


# --- Capacity ---------------------------------------------------------------------------------------------------


def chart_values(response) -> list[int]:
    return [
        int(value) for value in re.findall(r'<g class="capacity-step" data-free="(\d+)">', response.content.decode())
    ]


def test_the_capacity_chart_has_a_bar_per_hour_with_its_value(small_inventory, customer, make_quote, owner_client):
    moment = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    with time_machine.travel(moment, tick=False):
        book(customer, make_quote(flavor="b200-x4"), zone=zone("de-muc-1a"))  # from 12:00, for 30 days

        response = owner_client.get("/capacity/", {"zone": "de-muc-1a", "gpu_model": "b200", "period": "7d"})

    assert response.status_code == 200
    assert chart_values(response) == [16, 16] + [12] * 166
    content = response.content.decode()
    assert 'role="img"' in content
    assert "style=" not in content
    first_bar = re.search(r'<g class="capacity-step" data-free="16">\s*<title>([^<]+)</title>', content)
    assert first_bar.group(1) == f"{date_format(moment.replace(minute=0), 'SHORT_DATETIME_FORMAT')}: 16 of 16 GPUs free"
    assert len(rows(response, "capacity-table")) == 168
    assert rows(response, "capacity-table")[2] == [
        date_format(moment.replace(hour=12, minute=0), "SHORT_DATETIME_FORMAT"),
        "12",
        "16",
    ]
    assert text_of(response, "capacity-title") == "Free NVIDIA B200 GPUs in Munich 1a, by hour"


def test_the_capacity_chart_by_day_folds_hours_into_days_in_germany(
    small_inventory, customer, make_quote, owner_client
):
    moment = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    with time_machine.travel(moment, tick=False):
        book(customer, make_quote(flavor="b200-x4"), zone=zone("de-muc-1a"))
        month = owner_client.get("/capacity/", {"zone": "de-muc-1a", "gpu_model": "b200", "period": "30d"})
        quarter = owner_client.get("/capacity/", {"zone": "de-muc-1a", "gpu_model": "b200", "period": "90d"})
        other_zone = owner_client.get("/capacity/", {"zone": "de-muc-1b", "gpu_model": "b200", "period": "30d"})

    assert chart_values(month) == [12] * 30
    assert chart_values(quarter) == [12] * 31 + [16] * 59
    assert chart_values(other_zone) == [16] * 30


def test_htmx_swaps_only_the_chart_and_a_bad_choice_shows_an_error(small_inventory, owner_client):
    fragment = owner_client.get(
        "/capacity/", {"zone": "de-muc-1b", "gpu_model": "b200", "period": "30d"}, HTTP_HX_REQUEST="true"
    )
    bad = owner_client.get("/capacity/", {"zone": "mars-1"})
    default = owner_client.get("/capacity/")

    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<section id="capacity-chart"')
    assert "<html" not in fragment.content.decode()
    assert len(chart_values(fragment)) == 30
    assert "HX-Request" in fragment["Vary"].split(", ")
    assert bad.status_code == 200
    assert chart_values(bad) == []
    assert "Select a valid choice. mars-1 is not one of the available choices." in bad.content.decode()
    assert len(chart_values(default)) == 168  # first zone, first GPU model, a week by hour


def test_the_capacity_page_is_for_signed_in_users(client):
    response = client.get("/capacity/")

    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/capacity/")


# --- Quota ------------------------------------------------------------------------------------------------------


def test_the_quota_page_shows_the_quota_and_what_is_booked_now(small_inventory, customer, make_quote, owner_client):
    book(customer, make_quote(flavor="b200-x2", commitment="on_demand", hours=24))  # held now
    book(customer, make_quote(flavor="b200-x4"))  # starts later

    response = owner_client.get("/orgs/rheinwerk/quota/")

    assert response.status_code == 200
    assert rows(response, "quota") == [
        ["NVIDIA B200", "64", "2"],
        ["NVIDIA RTX PRO 6000 Blackwell Server Edition", "64", "0"],
    ]
    assert text_of(response, "no-quota-requests") == "No requests yet."


def test_an_owner_requests_a_higher_quota(small_inventory, customer, owner_client):
    response = owner_client.post(
        "/orgs/rheinwerk/quota/",
        {"gpu_model": "b200", "requested_gpus": "256", "reason": "Training run in Q1"},
        follow=True,
    )

    request = QuotaRequest.objects.for_organization(customer).get()
    assert (request.gpu_model.slug, request.requested_gpus, request.reason, request.status) == (
        "b200",
        256,
        "Training run in Q1",
        QuotaRequestStatus.PENDING,
    )
    assert page_messages(response) == [
        "We received your request for 256 NVIDIA B200 GPUs; an operator will decide soon."
    ]
    assert rows(response, "quota-requests") == [
        [
            date_format(timezone.localtime(request.created_at), "SHORT_DATETIME_FORMAT"),
            "NVIDIA B200",
            "256",
            "Training run in Q1",
            "Pending",
            "—",
        ]
    ]


def test_a_quota_request_below_the_quota_is_refused_and_changes_nothing(small_inventory, customer, owner_client):
    before = snapshot(customer)

    response = owner_client.post("/orgs/rheinwerk/quota/", {"gpu_model": "b200", "requested_gpus": "8"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"requested_gpus": ["Your quota is already 64 GPUs; ask for more."]}
    assert snapshot(customer) == before


def test_only_owners_request_quota(small_inventory, customer, member_of, client):
    client.force_login(member_of(customer, Role.ADMIN))

    responses = [
        client.get("/orgs/rheinwerk/quota/"),
        client.post("/orgs/rheinwerk/quota/", {"gpu_model": "b200", "requested_gpus": "256"}),
    ]

    assert [response.status_code for response in responses] == [403, 403]
    assert QuotaRequest.objects.for_organization(customer).count() == 0


# --- Navigation -------------------------------------------------------------------------------------------------


def test_the_header_links_to_the_reservations_and_the_capacity(small_inventory, customer, owner_client):
    content = owner_client.get("/dashboard/").content.decode()

    assert '<li><a href="/orgs/rheinwerk/reservations/">Reservations</a></li>' in content
    assert '<li><a href="/capacity/">Capacity</a></li>' in content


def test_the_servers_poll_answers_204_until_something_changes(small_inventory, customer, make_quote, owner_client):
    reservation = book(customer, make_quote())
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    page = owner_client.get(f"{LIST}{reservation.pk}/")
    body = find(document(page), "instances-body")
    assert body is not None
    poll_url = dict(body.attributes)["hx-get"]
    assert re.fullmatch(rf"{LIST}{reservation.pk}/instances/\?seen=[0-9a-f]{{16}}", poll_url)
    assert text_of(page, "instances-status") == "Provisioning 0 of 1 running"

    unchanged = [owner_client.get(poll_url) for _ in range(2)]
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.ACTIVE)
    changed = owner_client.get(poll_url)

    assert [response.status_code for response in unchanged] == [204, 204]
    assert [response.content for response in unchanged] == [b"", b""]
    assert changed.status_code == 200
    status = find(document(changed), "instances-status")
    assert status is not None
    assert dict(status.attributes)["hx-swap-oob"] == "innerHTML"
    assert text(status) == "Active 0 of 1 running"
    # Active is at rest: the new polled part no longer polls.
    new_body = find(document(changed), "instances-body")
    assert new_body is not None
    assert "hx-get" not in dict(new_body.attributes)
