"""The request ID and organization reach the log lines of the tasks a request causes."""

from __future__ import annotations

import logging

import pytest
import structlog
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from portal.celery import app
from provisioning.tasks import provision_instance_task, provision_reservation_task, provision_reservations_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition, reservations_transition_locked
from tenants.audit import Actor
from tenants.models import Membership
from tests.portal.test_celery import wait_for
from tests.reservations.conftest import catalog, customer, make_quote, small_inventory

__all__ = ["catalog", "customer", "make_quote", "small_inventory"]

CONTEXT_KEY = "kontor:test:task-context"


@app.task(name="tests.record_context")
def record_context() -> None:
    cache.set(CONTEXT_KEY, structlog.contextvars.get_contextvars(), timeout=60)


def events(caplog, event: str) -> list[dict]:
    return [record.msg for record in caplog.records if isinstance(record.msg, dict) and record.msg["event"] == event]


@pytest.mark.django_db
def test_a_provisioning_task_started_by_beat_logs_the_request_id_of_the_booking(
    small_inventory, customer, make_quote, caplog
):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    response = client.post(
        "/api/v1/organizations/rheinwerk/reservations/",
        {"quote": make_quote(flavor="b200-x4", count=1).pk},
        format="json",
        HTTP_X_REQUEST_ID="booking-7f3a9c21",
    )
    assert (response.status_code, response["X-Request-ID"]) == (201, "booking-7f3a9c21")
    reservation = Reservation.objects.unscoped().get()
    # What beat's dispatch_due does, outside any request.
    reservation_transition(actor=Actor.system("beat"), reservation=reservation, to_state=ReservationState.PROVISIONING)
    structlog.contextvars.clear_contextvars()
    caplog.set_level(logging.INFO, logger="provisioning.tasks")

    provision_reservation_task.apply(args=[reservation.pk])
    instance_id = reservation.instances.get().pk
    provision_instance_task.apply(args=[instance_id])

    [started] = events(caplog, "provisioning.reservation_started")
    steps = events(caplog, "provisioning.instance_step")
    assert (started["request_id"], started["organization"], started["task"]) == (
        "booking-7f3a9c21",
        "rheinwerk",
        "provisioning.provision_reservation",
    )
    # The reservation task runs the first step itself; the instance task (a later poll, here a repeat) logs too.
    assert [(step["request_id"], step["organization"], step["task"], step["instance_id"]) for step in steps] == [
        ("booking-7f3a9c21", "rheinwerk", "provisioning.provision_reservation", instance_id),
        ("booking-7f3a9c21", "rheinwerk", "provisioning.provision_instance", instance_id),
    ]
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("provisioning")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_one_message_for_several_reservations_logs_each_under_its_own_bookings_request_id(
    small_inventory, customer, make_quote, caplog
):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    for request_id in ("booking-0001", "booking-0002"):
        response = client.post(
            "/api/v1/organizations/rheinwerk/reservations/",
            {"quote": make_quote(flavor="b200-x4", count=1).pk},
            format="json",
            HTTP_X_REQUEST_ID=request_id,
        )
        assert response.status_code == 201
    with transaction.atomic():  # what beat's dispatch_due does, outside any request
        locked = list(Reservation.objects.unscoped().select_related("organization").select_for_update().order_by("pk"))
        reservations_transition_locked(
            actor=Actor.system("beat"), locked=locked, to_state=ReservationState.PROVISIONING
        )
    structlog.contextvars.clear_contextvars()
    caplog.set_level(logging.INFO, logger="provisioning.tasks")

    provision_reservations_task.apply(args=[reservation.pk for reservation in locked])

    started = events(caplog, "provisioning.reservation_started")
    steps = events(caplog, "provisioning.instance_step")
    assert [(line["request_id"], line["task"], line["reservation_id"]) for line in started] == [
        ("booking-0001", "provisioning.provision_reservations", locked[0].pk),
        ("booking-0002", "provisioning.provision_reservations", locked[1].pk),
    ]
    assert [line["request_id"] for line in steps] == ["booking-0001", "booking-0002"]
    assert structlog.contextvars.get_contextvars() == {}  # nothing left behind for the next task


@pytest.mark.django_db(transaction=True)
def test_the_senders_context_travels_in_the_message_headers_to_a_real_worker():
    cache.delete(CONTEXT_KEY)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("default")  # type: ignore[attr-defined]

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["default"]):
        structlog.contextvars.bind_contextvars(request_id="req-0042-carried", organization="rheinwerk")
        try:
            record_context.delay()
        finally:
            structlog.contextvars.clear_contextvars()
        assert wait_for(lambda: cache.get(CONTEXT_KEY) is not None)

    context = cache.get(CONTEXT_KEY)
    assert {key: context[key] for key in ("request_id", "organization", "task")} == {
        "request_id": "req-0042-carried",
        "organization": "rheinwerk",
        "task": "tests.record_context",
    }
    assert len(context["task_id"]) == 36
