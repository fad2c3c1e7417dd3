"""The reservations API: idempotent booking, conflicts with alternatives, the lifecycle, availability, capacity."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reservations.models import Reservation
from tenants.choices import Role
from tenants.models import Membership

from .conftest import hour

pytestmark = pytest.mark.django_db
MONTH = 24 * 30


@pytest.fixture
def owner_client(customer):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    return client


def post(client, path, body=None, **headers):
    return client.post(f"/api/v1/organizations/rheinwerk/{path}", body or {}, format="json", **headers)


def test_booking_is_idempotent(small_inventory, customer, make_quote, owner_client):
    quote = make_quote()

    first = post(owner_client, "reservations/", {"quote": quote.pk}, HTTP_IDEMPOTENCY_KEY="order-1")
    retry = post(owner_client, "reservations/", {"quote": quote.pk}, HTTP_IDEMPOTENCY_KEY="order-1")
    other = post(
        owner_client, "reservations/", {"quote": make_quote(flavor="b200-x2").pk}, HTTP_IDEMPOTENCY_KEY="order-1"
    )

    # A replay is the first answer again (Stripe's semantics): the same status and body, marked as a replay.
    assert (first.status_code, retry.status_code) == (201, 201)
    assert first.json() == retry.json()
    assert (first.get("Idempotent-Replayed"), retry["Idempotent-Replayed"]) == (None, "true")
    body = first.json()
    assert (body["state"], body["kind"], body["flavor"], body["gpus"], body["zone"]) == (
        "scheduled",
        "reserved",
        "b200-x4",
        4,
        "de-muc-1a",
    )
    assert body["allocations"] == [
        {
            "instance_index": 0,
            "node": "de-muc-1a-reservable-0",
            "gpus": [0, 1, 2, 3],
            "starts_at": body["starts_at"],
            "ends_at": body["ends_at"],
        }
    ]
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Reservation.objects.for_organization(customer).count() == 1


def test_no_capacity_is_a_409_with_alternatives(small_inventory, customer, make_quote, owner_client):
    post(owner_client, "reservations/", {"quote": make_quote(flavor="b200-x8-metal", count=2).pk, "zone": "de-muc-1a"})

    response = post(
        owner_client, "reservations/", {"quote": make_quote(flavor="b200-x8-metal").pk, "zone": "de-muc-1a"}
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["detail"], body["fields"]) == (
        "no_capacity",
        "These GPUs are no longer available for this window.",
        {},
    )
    assert body["alternatives"][0] == {
        "zone": "de-muc-1b",
        "flavor": "b200-x8-metal",
        "instance_count": 1,
        "starts_at": hour(0).isoformat(),
    }
    assert body["earliest_start"] == hour(MONTH).isoformat()
    assert Reservation.objects.for_organization(customer).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"quote": 999999}, "quote"), ({"zone": "mars-1"}, "zone"), ({}, "quote")],
)
def test_bad_orders_are_refused_and_store_nothing(small_inventory, customer, make_quote, owner_client, body, field):
    payload = {"quote": make_quote().pk, **body} if body != {} else {}

    response = post(owner_client, "reservations/", payload)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Reservation.objects.for_organization(customer).count() == 0


def test_an_expired_quote_is_refused(small_inventory, customer, make_quote, owner_client):
    import time_machine

    quote = make_quote()
    with time_machine.travel(quote.valid_until, tick=False):
        response = post(owner_client, "reservations/", {"quote": quote.pk})

    assert (response.status_code, response.json()["fields"]["quote"][0].startswith(f"Quote {quote.pk} expired")) == (
        400,
        True,
    )
    assert Reservation.objects.for_organization(customer).count() == 0


def test_cancel_and_extend(small_inventory, customer, make_quote, owner_client):
    created = post(owner_client, "reservations/", {"quote": make_quote().pk}).json()

    extended = post(owner_client, f"reservations/{created['id']}/extend/", {"ends_at": hour(MONTH + 24).isoformat()})
    cancelled = post(owner_client, f"reservations/{created['id']}/cancel/")

    assert extended.status_code == 200
    assert datetime.fromisoformat(extended.json()["ends_at"]) == hour(MONTH + 24)
    assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["allocations"]) == (
        200,
        "cancelled",
        [],
    )


def test_viewers_cannot_book(small_inventory, customer, make_quote, member_of):
    client = APIClient()
    client.force_authenticate(member_of(customer, Role.VIEWER))

    response = client.post("/api/v1/organizations/rheinwerk/reservations/", {"quote": make_quote().pk}, format="json")

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_reservation_list_runs_a_constant_number_of_queries(small_inventory, customer, make_quote, owner_client):
    post(owner_client, "reservations/", {"quote": make_quote(flavor="b200-x1").pk})
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get("/api/v1/organizations/rheinwerk/reservations/").status_code == 200
    for _ in range(5):
        post(owner_client, "reservations/", {"quote": make_quote(flavor="b200-x1", count=2).pk})
    with CaptureQueriesContext(connection) as many:
        listed = owner_client.get("/api/v1/organizations/rheinwerk/reservations/")

    assert len(listed.json()["results"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_list_answers_what_the_reservation_serializer_answers(small_inventory, customer, make_quote, owner_client):
    """The list is built from plain rows (reservation_list_representation); it must say, field for field, what
    ReservationSerializer says of the same reservations: instances with and without an address row, their history,
    an access row with a secured endpoint, one without any access row, a released allocation left out."""
    import json

    from django.utils import timezone

    from provisioning.models import Instance, InstanceAddress, InstanceTransition, ReservationAccess
    from reservations.api.selectors import reservation_list_for_api
    from reservations.api.serializers import ReservationSerializer
    from reservations.models import Allocation
    from reservations.services import reservation_create
    from tenants.audit import Actor

    ordered = post(owner_client, "reservations/", {"quote": make_quote(flavor="b200-x1", count=2).pk}).json()
    bare = reservation_create(
        actor=Actor.system("test"), organization=customer, quote=make_quote(flavor="b200-x2", commitment="on_demand")
    )
    ReservationAccess.objects.for_organization(customer).filter(reservation_id=bare.reservation.pk).delete()
    access = ReservationAccess.objects.for_organization(customer).get(reservation_id=ordered["id"])
    access.ssh_keys = [{"name": "Laptop", "fingerprint": "SHA256:abc", "public_key": "ssh-ed25519 AAAA"}]
    access.service_token_encrypted, access.tls_fingerprint, access.public_address = "sealed", "ab:cd", True
    access.save()
    now = timezone.now()
    running = Instance.objects.create(
        organization=customer, reservation_id=ordered["id"], index=0, name="web-0", state="running",
        address="10.0.0.5", service_url="https://10.0.0.5:8443/", started_at=now,
    )  # fmt: skip
    Instance.objects.create(organization=customer, reservation_id=ordered["id"], index=1, name="web-1")
    InstanceAddress.objects.create(
        organization=customer, instance=running, public_address="85.214.1.2", ssh_fingerprints=["SHA256:abc"]
    )
    for from_state, to_state in [("pending", "building"), ("building", "running")]:
        InstanceTransition.objects.create(
            organization=customer, instance=running, from_state=from_state, to_state=to_state, reason="cloud said so"
        )
    Allocation.objects.for_organization(customer).filter(reservation_id=ordered["id"], instance_index=1).update(
        released_at=now
    )

    listed = owner_client.get("/api/v1/organizations/rheinwerk/reservations/")
    expected = ReservationSerializer(reservation_list_for_api(organization=customer), many=True).data

    assert listed.status_code == 200
    assert listed.json()["results"] == json.loads(json.dumps(expected, default=str))
    first = listed.json()["results"][1]
    assert (first["access"]["secured_endpoint"], first["instances"][0]["ssh_command"]) == (
        True,
        "ssh ubuntu@85.214.1.2",
    )
    assert [len(first["instances"][0]["history"]), len(first["allocations"])] == [2, 1]
    assert listed.json()["results"][0]["access"] is None
    # One reservation's answer (after an order, a cancel, an extension) from its prepared statements: the same.
    from reservations.api.selectors import reservation_row_for_api
    from reservations.api.serializers import reservation_list_representation

    for entry in listed.json()["results"]:
        row, related = reservation_row_for_api(organization=customer, reservation_id=entry["id"])
        assert json.loads(json.dumps(reservation_list_representation([row], related)[0], default=str)) == entry
    assert reservation_row_for_api(organization=customer, reservation_id=ordered["id"] + 1000) == (None, {})


def test_availability_endpoint(small_inventory, customer, owner_client):
    response = owner_client.get(
        "/api/v1/organizations/rheinwerk/availability/",
        {
            "flavor": "b200-x8-metal",
            "instance_count": 3,
            "starts_at": hour(0).isoformat(),
            "ends_at": hour(MONTH).isoformat(),
            "zone": "de-muc-1a",
        },
    )

    assert response.status_code == 200
    assert response.json() == {"fits": False, "zone": None, "earliest_start": None, "alternatives": []}


def test_capacity_calendar_endpoint(small_inventory, customer, owner_client):
    response = owner_client.get(
        "/api/v1/capacity/",
        {
            "zone": "de-muc-1a",
            "gpu_model": "b200",
            "starts_at": hour(0).isoformat(),
            "ends_at": hour(48).isoformat(),
            "step": "day",
        },
    )

    assert response.status_code == 200
    assert [(row["total_gpus"], row["free_gpus"]) for row in response.json()] == [(16, 16), (16, 16)]


def test_owner_requests_a_higher_quota(small_inventory, customer, owner_client):
    response = post(
        owner_client, "quota-requests/", {"gpu_model": "b200", "requested_gpus": 256, "reason": "Training run in Q1"}
    )
    too_low = post(owner_client, "quota-requests/", {"gpu_model": "b200", "requested_gpus": 8})

    assert (response.status_code, response.json()["status"]) == (201, "pending")
    assert too_low.json()["fields"] == {"requested_gpus": ["Your quota is already 64 GPUs; ask for more."]}
