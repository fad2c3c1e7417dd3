"""Concurrent retries of one booking with one Idempotency-Key, over HTTP against a live server: one reservation,
and every copy is answered with it (at once, after waiting for its twin, or after its Retry-After)."""

from __future__ import annotations

import threading

import pytest

from reservations.models import Reservation
from tenants.audit import Actor
from tenants.models import Membership
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.faults.http_clients import Copy, send, session_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_sixteen_concurrent_retries_over_http_book_once(live_server, small_inventory, customer, make_quote, settings):
    settings.KONTOR_IDEMPOTENCY_WAIT_SECONDS = 0.5  # short, so that some copies answer 409 and retry
    owner = Membership.objects.for_organization(customer).get().user
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=customer, name="retries", scopes=[Scope.RESERVATIONS_WRITE]
    )
    quote = make_quote(flavor="b200-x8-metal")
    url = f"{live_server.url}/api/v1/organizations/rheinwerk/reservations/"
    start = threading.Barrier(16)
    copies = [Copy() for _ in range(16)]
    threads = [
        threading.Thread(target=send, args=(session_for(token), url, {"quote": quote.pk}, "order-http-1", copy, start))
        for copy in copies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    reservation = Reservation.objects.for_organization(customer).get(quote=quote)
    finals = [copy.final for copy in copies]
    assert {status for status, _body in finals} == {201}
    assert {body["id"] for _status, body in finals} == {reservation.pk}
    assert all(body == finals[0][1] for _status, body in finals)
    interim = [body["code"] for copy in copies for status, body in copy.answers[:-1]]
    assert set(interim) <= {"idempotency_in_progress"}
    assert Reservation.objects.for_organization(customer).count() == 1
