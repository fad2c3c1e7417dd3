"""Book and release a reservation through the API with a receiver on loopback: every event arrives, signed, in
order of its subject's sequence; a receiver that fails its first three attempts still gets each event exactly once
(deduplicated by ``webhook-id``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from kontor_client import InvalidWebhook, verify_webhook
from provisioning import services as provisioning
from provisioning.drivers.simulator import simulator_reset_failures
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition
from tenants.audit import Actor
from tenants.models import Membership
from webhooks.event_types import EVENT_TYPES
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create
from webhooks.tasks import deliver_task

pytestmark = pytest.mark.django_db
LIFECYCLE = [
    "reservation.created",
    "reservation.scheduled",
    "reservation.provisioning",
    "instance.running",
    "reservation.active",
    "reservation.ending",
    "instance.stopped",
    "reservation.ended",
]


@pytest.fixture(autouse=True)
def _fresh_simulator():
    simulator_reset_failures()
    yield
    simulator_reset_failures()


def book_and_release(customer, make_quote, capture):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    quote = make_quote(flavor="b200-x4", commitment="on_demand", hours=24)
    with capture(execute=True):
        booked = client.post("/api/v1/organizations/rheinwerk/reservations/", {"quote": quote.pk}, format="json")
    assert booked.status_code == 201
    reservation = Reservation.objects.for_organization(customer).get()
    with capture(execute=True):
        reservation_transition(
            actor=Actor.system("test"), reservation=reservation, to_state=ReservationState.PROVISIONING
        )
    for instance_id in provisioning.reservation_start_provisioning(reservation_id=reservation.pk):
        with capture(execute=True):
            provision_instance_task.apply(args=[instance_id])
    with capture(execute=True):
        released = client.post(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/release/")
    assert released.status_code == 200
    for instance_id in provisioning.reservation_instances_to_stop(reservation_id=reservation.pk):
        with capture(execute=True):
            provisioning.instance_deprovision_step(instance_id=instance_id)
            provisioning.instance_deprovision_step(instance_id=instance_id)
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ENDED
    return reservation


def test_the_lifecycle_arrives_signed_and_in_order(
    small_inventory, customer, make_quote, receiver, scheduled, django_capture_on_commit_callbacks
):
    _endpoint, secret = endpoint_create(
        actor=Actor.system("test"), organization=customer, url=receiver.url, event_types=list(EVENT_TYPES)
    )

    reservation = book_and_release(customer, make_quote, django_capture_on_commit_callbacks)

    payloads = [verify_webhook(request.body, request.headers, secret) for request in receiver.requests]
    assert [p["type"] for p in payloads] == LIFECYCLE
    about_reservation = [p for p in payloads if p["subject"] == f"reservation:{reservation.pk}"]
    assert [p["sequence"] for p in about_reservation] == [1, 2, 3, 4, 5, 6]
    assert [p["data"]["state"] for p in about_reservation] == [
        "requested",
        "scheduled",
        "provisioning",
        "active",
        "ending",
        "ended",
    ]
    api = APIClient()
    api.force_authenticate(Membership.objects.for_organization(customer).get().user)
    final = api.get(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/").json()
    # The same representation the API returns; the detail's live cost estimate is computed per request ("cost so
    # far ... at"), so it is not part of an event, which records a moment that has passed.
    assert final.pop("cost")["estimate"] is True
    assert payloads[-1]["data"] == final
    instance_events = [p for p in payloads if p["type"].startswith("instance.")]
    assert [(p["sequence"], p["data"]["state"]) for p in instance_events] == [(1, "running"), (2, "stopped")]
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == len(LIFECYCLE)
    assert scheduled == []
    first = receiver.requests[0]
    with pytest.raises(InvalidWebhook):
        verify_webhook(first.body.replace(b"requested", b"cancelled"), first.headers, secret)


def test_a_receiver_failing_three_attempts_gets_every_event_exactly_once_more(
    small_inventory, customer, make_quote, receiver, scheduled, django_capture_on_commit_callbacks
):
    receiver.fail_first = 3
    _endpoint, secret = endpoint_create(
        actor=Actor.system("test"), organization=customer, url=receiver.url, event_types=list(EVENT_TYPES)
    )
    book_and_release(customer, make_quote, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == len(LIFECYCLE) - 3

    with time_machine.travel(timezone.now(), tick=False) as clock:
        while scheduled:
            delivery_id, countdown = scheduled.pop(0)
            clock.shift(timedelta(seconds=countdown))
            deliver_task.apply(args=[delivery_id])
        # Whatever is left pending is found by the sweeper and re-driven: nothing is.
        assert WebhookDelivery.objects.for_organization(customer).exclude(status="delivered").count() == 0

    by_id: dict[str, dict] = {}
    for request in receiver.requests:
        by_id.setdefault(request.headers["webhook-id"], verify_webhook(request.body, request.headers, secret))
    assert receiver.refused == 3
    assert len(receiver.requests) == len(by_id) == len(LIFECYCLE)
    # Retried deliveries arrive late; ordering each subject's events by ``sequence`` restores the lifecycle.
    in_order = sorted(by_id.values(), key=lambda p: (p["subject"].startswith("instance"), p["sequence"]))
    assert [p["type"] for p in in_order] == [t for t in LIFECYCLE if t.startswith("reservation.")] + [
        "instance.running",
        "instance.stopped",
    ]
    assert sorted(p["type"] for p in by_id.values()) == sorted(LIFECYCLE)
    assert sum(d.attempts for d in WebhookDelivery.objects.for_organization(customer)) == len(LIFECYCLE) + 3
