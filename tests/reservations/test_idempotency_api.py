"""``Idempotency-Key`` on the API (portal/api/idempotency.py, tenants/idempotency.py): claimed first, replayed
as answered, refused for another request, expiring after 24 hours — for every POST that books, quotes, invites or
makes a key."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from catalog.models import AvailabilityZone, CatalogItem, Quote
from portal.api.idempotency import IDEMPOTENCY_HEADER, is_idempotent
from reservations.api.views import ReservationViewSet
from reservations.models import Reservation
from reservations.services import reservation_cancel
from tenants.audit import Actor
from tenants.idempotency import idempotency_requests_expire
from tenants.models import ApiKey, IdempotentRequest, Invitation, Membership
from tenants.permissions import Scope
from tenants.services import api_key_create
from tenants.tasks import expire_idempotency_keys_task

from .conftest import hour

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations/rheinwerk/"


@pytest.fixture
def owner_client(customer):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    return client


def post(client, path, body, key=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(f"{BASE}{path}", body, format="json", **headers)


def quote_body():
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on").first()
    return {
        "item": "pytorch",
        "version": version.tag,
        "flavor": "b200-x4",
        "instance_count": 1,
        "commitment": "reserved_1m",
        "starts_at": hour(0).isoformat(),
        "ends_at": hour(24 * 30).isoformat(),
    }


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("quotes/", quote_body, Quote),
        ("invitations/", lambda: {"email": "anna@rheinwerk.example", "role": "member"}, Invitation),
        ("api-keys/", lambda: {"name": "ERP sync", "scopes": ["catalog:read"]}, ApiKey),
    ],
)
def test_every_creating_post_replays_its_first_answer(small_inventory, customer, owner_client, path, body, model):
    first = post(owner_client, path, body(), key="create-1")
    retry = post(owner_client, path, body(), key="create-1")

    assert (first.status_code, retry.status_code, retry["Idempotent-Replayed"]) == (201, 201, "true")
    assert retry.json() == first.json()
    assert model.objects.for_organization(customer).count() == 1


def test_a_new_api_keys_token_is_replayed_but_stored_encrypted(small_inventory, customer, owner_client):
    first = post(owner_client, "api-keys/", {"name": "ERP sync", "scopes": ["catalog:read"]}, key="key-1")
    retry = post(owner_client, "api-keys/", {"name": "ERP sync", "scopes": ["catalog:read"]}, key="key-1")

    token = first.json()["token"]
    assert retry.json()["token"] == token
    stored = IdempotentRequest.objects.for_organization(customer).get()
    assert (stored.status_code, token in stored.response_body) == (201, False)


def test_extend_replays_and_refuses_the_key_on_another_reservation(small_inventory, customer, make_quote, owner_client):
    first_id = post(owner_client, "reservations/", {"quote": make_quote().pk}).json()["id"]
    second_id = post(owner_client, "reservations/", {"quote": make_quote(flavor="b200-x2").pk}).json()["id"]
    body = {"ends_at": hour(24 * 31).isoformat()}

    extended = post(owner_client, f"reservations/{first_id}/extend/", body, key="extend-1")
    again = post(owner_client, f"reservations/{first_id}/extend/", body, key="extend-1")
    elsewhere = post(owner_client, f"reservations/{second_id}/extend/", body, key="extend-1")

    assert (extended.status_code, again.status_code, again.json()) == (200, 200, extended.json())
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "idempotency_key_reused")
    assert Reservation.objects.for_organization(customer).get(pk=second_id).ends_at == hour(24 * 30)


def test_a_stored_no_capacity_answer_is_replayed_even_after_capacity_is_free(
    small_inventory, customer, make_quote, owner_client
):
    """Stripe keeps a 4xx: the client that got "no capacity" for a key gets it again, and books with a new key."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    blocker = post(
        owner_client, "reservations/", {"quote": make_quote(flavor="b200-x8-metal", count=2).pk, "zone": zone.slug}
    )
    quote = make_quote(flavor="b200-x8-metal")
    refused = post(owner_client, "reservations/", {"quote": quote.pk, "zone": zone.slug}, key="order-9")
    reservation_cancel(
        actor=Actor.system("test"), reservation=Reservation.objects.unscoped().get(pk=blocker.json()["id"])
    )

    replayed = post(owner_client, "reservations/", {"quote": quote.pk, "zone": zone.slug}, key="order-9")
    fresh = post(owner_client, "reservations/", {"quote": quote.pk, "zone": zone.slug}, key="order-10")

    assert (refused.status_code, refused.json()["code"]) == (409, "no_capacity")
    assert (replayed.status_code, replayed.json(), replayed["Idempotent-Replayed"]) == (409, refused.json(), "true")
    assert fresh.status_code == 201
    assert Reservation.objects.for_organization(customer).filter(quote=quote).count() == 1


def test_a_validation_error_is_stored_too(small_inventory, customer, owner_client):
    refused = post(owner_client, "invitations/", {"email": "not-an-address", "role": "member"}, key="invite-1")
    replayed = post(owner_client, "invitations/", {"email": "not-an-address", "role": "member"}, key="invite-1")

    assert (refused.status_code, replayed.status_code, replayed.json()) == (400, 400, refused.json())


def test_the_same_key_with_another_body_is_422_and_changes_nothing(small_inventory, customer, owner_client):
    post(owner_client, "invitations/", {"email": "anna@rheinwerk.example", "role": "member"}, key="invite-2")

    reused = post(owner_client, "invitations/", {"email": "ben@rheinwerk.example", "role": "member"}, key="invite-2")

    assert reused.status_code == 422
    assert reused.json() == {
        "detail": "This Idempotency-Key was used with a different request.",
        "code": "idempotency_key_reused",
        "fields": {},
    }
    assert list(Invitation.objects.for_organization(customer).values_list("email", flat=True)) == [
        "anna@rheinwerk.example"
    ]


def test_the_body_is_compared_as_data_not_as_bytes(small_inventory, customer, owner_client):
    first = owner_client.post(
        f"{BASE}invitations/",
        '{"email": "anna@rheinwerk.example", "role": "member"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="invite-3",
    )
    reordered = owner_client.post(
        f"{BASE}invitations/",
        '{"role":"member","email":"anna@rheinwerk.example"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="invite-3",
    )

    assert (first.status_code, reordered.status_code, reordered.json()) == (201, 201, first.json())


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("k" * 256, "The Idempotency-Key may have at most 255 characters."),
        ("order\x011", "The Idempotency-Key must not contain control characters."),
        ("order\x7f", "The Idempotency-Key must not contain control characters."),
        ("order\x85", "The Idempotency-Key must not contain control characters."),
    ],
)
def test_bad_keys_are_400_and_nothing_is_created(small_inventory, customer, owner_client, key, message):
    response = post(owner_client, "invitations/", {"email": "anna@rheinwerk.example", "role": "member"}, key=key)

    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "invalid_idempotency_key", "fields": {}}
    assert Invitation.objects.for_organization(customer).count() == 0
    assert IdempotentRequest.objects.for_organization(customer).count() == 0


def test_a_key_of_255_characters_is_kept_whole(small_inventory, customer, owner_client):
    key = "k" * 255
    response = post(owner_client, "invitations/", {"email": "anna@rheinwerk.example", "role": "member"}, key=key)

    assert response.status_code == 201
    assert IdempotentRequest.objects.for_organization(customer).get().key == key


def test_keys_expire_after_24_hours_and_the_cleanup_deletes_them(small_inventory, customer, owner_client):
    post(owner_client, "invitations/", {"email": "anna@rheinwerk.example", "role": "member"}, key="invite-4")

    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert idempotency_requests_expire(now=timezone.now()) == 0
        within = post(
            owner_client, "invitations/", {"email": "ben@rheinwerk.example", "role": "member"}, key="invite-4"
        )
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        after = post(owner_client, "invitations/", {"email": "ben@rheinwerk.example", "role": "member"}, key="invite-4")
        # The old claim was replaced by the new one; the cleanup finds nothing else to delete yet.
        assert expire_idempotency_keys_task.apply().get() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=48, seconds=2)):
        assert expire_idempotency_keys_task.apply().get() == 1

    assert (within.status_code, after.status_code) == (422, 201)
    assert IdempotentRequest.objects.for_organization(customer).count() == 0
    assert Invitation.objects.for_organization(customer).count() == 2


def test_keys_belong_to_their_caller(small_inventory, customer, owner_client):
    owner = Membership.objects.for_organization(customer).get().user
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=customer, name="CI", scopes=[Scope.MEMBERS_MANAGE]
    )
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    mine = post(owner_client, "invitations/", {"email": "anna@rheinwerk.example", "role": "member"}, key="shared")
    theirs = post(partner, "invitations/", {"email": "ben@rheinwerk.example", "role": "member"}, key="shared")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert Invitation.objects.for_organization(customer).count() == 2


def test_a_server_error_releases_the_key_and_rolls_back(small_inventory, customer, owner_client, monkeypatch):
    from tenants.api import team

    real = team.invitation_create
    failures = [RuntimeError("the database went away mid-request")]

    def fail_once(**kwargs):
        invitation = real(**kwargs)  # the write happens, then the request dies: it must not stay
        if failures:
            raise failures.pop()
        return invitation

    monkeypatch.setattr(team, "invitation_create", fail_once)
    body = {"email": "anna@rheinwerk.example", "role": "member"}

    crashed = post(owner_client, "invitations/", body, key="invite-5")
    assert crashed.status_code == 500
    assert Invitation.objects.for_organization(customer).count() == 0
    assert IdempotentRequest.objects.for_organization(customer).count() == 0

    retried = post(owner_client, "invitations/", body, key="invite-5")
    assert retried.status_code == 201
    assert Invitation.objects.for_organization(customer).count() == 1


def claim_left_by(customer, *, key, fingerprint, claimed_until):
    """A claim as a copy leaves it that died before it answered (nothing of its request was committed)."""
    owner = Membership.objects.for_organization(customer).get().user
    now = timezone.now()
    return IdempotentRequest.objects.create(
        organization=customer,
        caller=f"user:{owner.pk}",
        operation="InvitationViewSet.create",
        key=key,
        fingerprint=fingerprint,
        owner_token="dead",
        claimed_until=claimed_until,
        expires_at=now + timedelta(hours=24),
    )


def fingerprint_of(body):
    """The fingerprint the API computes for a POST of ``body`` to the invitations (method, path, sorted JSON)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"POST\n{BASE}invitations/\n{canonical}".encode()).hexdigest()


def test_a_claim_being_worked_on_answers_409_with_retry_after(small_inventory, customer, owner_client, settings):
    settings.KONTOR_IDEMPOTENCY_WAIT_SECONDS = 0.2
    body = {"email": "anna@rheinwerk.example", "role": "member"}
    claim_left_by(
        customer, key="busy", fingerprint=fingerprint_of(body), claimed_until=timezone.now() + timedelta(minutes=1)
    )

    busy = post(owner_client, "invitations/", body, key="busy")

    assert (busy.status_code, busy.json()["code"], busy["Retry-After"]) == (409, "idempotency_in_progress", "1")
    assert Invitation.objects.for_organization(customer).count() == 0


def test_a_dead_copys_claim_is_taken_over_after_its_lease(small_inventory, customer, owner_client):
    body = {"email": "anna@rheinwerk.example", "role": "member"}
    claim_left_by(
        customer, key="orphan", fingerprint=fingerprint_of(body), claimed_until=timezone.now() - timedelta(seconds=1)
    )

    response = post(owner_client, "invitations/", body, key="orphan")

    assert response.status_code == 201
    stored = IdempotentRequest.objects.for_organization(customer).get(key="orphan")
    assert (stored.status_code, stored.owner_token != "dead") == (201, True)


def test_the_marker_and_the_schema_header():
    assert (is_idempotent(ReservationViewSet.create), is_idempotent(ReservationViewSet.cancel)) == (True, False)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = sorted(
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(parameter.get("name") == IDEMPOTENCY_HEADER.name for parameter in operation.get("parameters", []))
    )
    base = "/api/v1/organizations/{organization_slug}/"
    assert documented == [
        f"POST {base}api-keys/",
        f"POST {base}invitations/",
        f"POST {base}quotes/",
        f"POST {base}reservations/",
        f"POST {base}reservations/{{id}}/extend/",
    ]


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_copies_book_once_and_all_answer_with_it(small_inventory, customer, make_quote):
    """16 copies of one booking with one key at the same instant: one reservation; every copy answers 201 with it
    (having waited for its twin) or 409 idempotency_in_progress with Retry-After; afterwards every replay is the
    first answer, byte for byte."""
    user = Membership.objects.for_organization(customer).get().user
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    # Another order takes the zone's first whole node: the copies race for its last one.
    blocker = APIClient()
    blocker.force_authenticate(user)
    post(blocker, "reservations/", {"quote": make_quote(flavor="b200-x8-metal").pk, "zone": zone.slug})
    quote = make_quote(flavor="b200-x8-metal")
    barrier = threading.Barrier(16)
    answers: list[tuple[int, dict, str | None]] = []

    def copy():
        close_old_connections()
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            response = post(client, "reservations/", {"quote": quote.pk, "zone": zone.slug}, key="order-7f3a")
            answers.append((response.status_code, response.json(), response.get("Retry-After")))
        finally:
            connection.close()

    threads = [threading.Thread(target=copy) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    reservation = Reservation.objects.for_organization(customer).get(quote=quote)
    booked = [body for status, body, _ in answers if status == 201]
    waiting = [(body["code"], retry_after) for status, body, retry_after in answers if status == 409]
    assert len(answers) == 16
    assert len(booked) + len(waiting) == 16
    assert {body["id"] for body in booked} == {reservation.pk}
    assert waiting == [("idempotency_in_progress", "1")] * len(waiting)
    replays = [
        post(blocker, "reservations/", {"quote": quote.pk, "zone": zone.slug}, key="order-7f3a") for _ in range(3)
    ]
    assert {(replay.status_code, replay.content) for replay in replays} == {(201, replays[0].content)}
    assert replays[0].json()["id"] == reservation.pk
    assert all(body == booked[0] for body in booked)
