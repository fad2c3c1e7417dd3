"""Delivering the outbox: signed, retried with back-off, given up after 72 hours, re-driven when a message is
lost, never sent twice at once, with both secrets during a rotation."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.events import Event, publish
from kontor_client import InvalidWebhook, verify_webhook
from tenants.audit import Actor
from tenants.models import AuditEvent, OutgoingEmail
from webhooks.choices import DeliveryStatus, EndpointStatus
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    DISABLE_AFTER,
    ROTATION_OVERLAP,
    deliveries_redrive,
    deliveries_wanted,
    delivery_attempt,
    endpoint_create,
    endpoint_rotate_secret,
)
from webhooks.tasks import deliver_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint_and_secret(organization, receiver):
    return endpoint_create(
        actor=Actor.system("test"),
        organization=organization,
        url=receiver.url,
        event_types=["budget.threshold_reached"],
    )


@pytest.fixture
def announce(django_capture_on_commit_callbacks):
    """Publish a budget alert in a transaction that commits (its after-commit callbacks run)."""

    def run(organization, threshold="80"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish("budget.threshold_reached", organization_id=organization.pk, data={"threshold": threshold})

    return run


def test_a_domain_event_is_delivered_signed(
    organization, endpoint_and_secret, receiver, scheduled, django_capture_on_commit_callbacks, announce
):
    _endpoint, secret = endpoint_and_secret
    announce(organization)

    delivery = WebhookDelivery.objects.for_organization(organization).get()
    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == delivery.message_id
    assert payload == delivery.payload
    assert {k: payload[k] for k in ("type", "version", "organization", "subject", "sequence", "data")} == {
        "type": "budget.threshold_reached",
        "version": "2026-12-01",
        "organization": "rheinwerk",
        "subject": f"organization:{organization.pk}",
        "sequence": 1,
        "data": {"threshold": "80"},
    }
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 204)
    assert scheduled == []
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)


def test_no_event_without_its_change(organization, endpoint_and_secret, receiver, scheduled):
    def change_that_fails():
        with transaction.atomic():
            publish("budget.threshold_reached", organization_id=organization.pk, data={"threshold": "80"})
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError, match="the change fails"):
        change_that_fails()

    assert WebhookDelivery.objects.for_organization(organization).count() == 0
    assert receiver.requests == []


def test_a_disabled_endpoint_and_unsubscribed_events_get_nothing(
    organization, endpoint_and_secret, receiver, scheduled, announce
):
    _endpoint, _secret = endpoint_and_secret
    with transaction.atomic():
        publish("credit_note.issued", organization_id=organization.pk, subject_id=None)
    WebhookEndpoint.objects.for_organization(organization).update(status=EndpointStatus.DISABLED)
    announce(organization)

    assert WebhookDelivery.objects.for_organization(organization).count() == 0


def test_running_the_task_twice_sends_once(organization, endpoint_and_secret, receiver, no_worker, announce):
    announce(organization)
    delivery = WebhookDelivery.objects.for_organization(organization).get()

    assert deliver_task.apply(args=[delivery.pk]).get() is True
    assert deliver_task.apply(args=[delivery.pk]).get() is False
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.for_organization(organization).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_send_once(organization, endpoint_and_secret, receiver, no_worker, announce):
    receiver.delay = 0.5
    announce(organization)
    delivery = WebhookDelivery.objects.for_organization(organization).get()
    outcomes = []
    barrier = threading.Barrier(2)

    def attempt():
        barrier.wait()
        try:
            outcomes.append(delivery_attempt(delivery_id=delivery.pk).sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [False, True]
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.for_organization(organization).get().attempts == 1


def test_failures_back_off_with_jitter_and_give_up_after_72_hours(
    organization, owner, endpoint_and_secret, receiver, scheduled, mailoutbox, announce
):
    receiver.fail_first = 10_000
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        announce(organization)
        delivery = WebhookDelivery.objects.for_organization(organization).get()
        waits = []
        while WebhookDelivery.objects.for_organization(organization).get().status == DeliveryStatus.PENDING:
            delivery_id, countdown = scheduled.pop()
            waits.append(countdown)
            clock.shift(timedelta(seconds=countdown))
            deliver_task.apply(args=[delivery_id])

    delivery.refresh_from_db()
    endpoint = WebhookEndpoint.objects.for_organization(organization).get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == len(waits) + 1 == receiver.refused
    # Exponential with full jitter: each wait lies in [ceiling/2, ceiling], ceilings 5 s, 10 s ... capped at 6 h.
    for number, wait in enumerate(waits, start=1):
        ceiling = min(5 * 2 ** (number - 1), 6 * 3600)
        assert ceiling / 2 <= wait <= ceiling
    assert sum(waits) < 72 * 3600
    assert delivery.give_up_at - delivery.created_at == timedelta(hours=72)
    assert (endpoint.status, endpoint.failing_since) == (EndpointStatus.FAILING, delivery.last_attempt_at)
    assert list(OutgoingEmail.objects.values_list("to", "template", "subject")) == [
        (owner.email, "webhook_failing", "A webhook endpoint is failing")
    ]
    assert [a.response_status for a in WebhookAttempt.objects.for_organization(organization).order_by("number")] == [
        500
    ] * delivery.attempts

    with time_machine.travel(endpoint.failing_since + DISABLE_AFTER, tick=False):
        deliveries_redrive()
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.DISABLED
    assert list(OutgoingEmail.objects.order_by("id").values_list("template", flat=True)) == [
        "webhook_failing",
        "webhook_disabled",
    ]
    assert list(AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", flat=True)) == [
        "webhook_endpoint.created",
        "webhook_endpoint.failing",
        "webhook_endpoint.disabled",
    ]


def test_a_success_clears_the_failing_mark(organization, endpoint_and_secret, receiver, scheduled, announce):
    endpoint, _secret = endpoint_and_secret
    WebhookEndpoint.objects.for_organization(organization).update(
        status=EndpointStatus.FAILING, failing_since=timezone.now()
    )
    announce(organization)

    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.failing_since) == (EndpointStatus.ENABLED, None)


def test_a_redirect_is_not_followed(organization, endpoint_and_secret, receiver, scheduled, announce):
    receiver.status = 302
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    announce(organization)

    delivery = WebhookDelivery.objects.for_organization(organization).get()
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        DeliveryStatus.PENDING,
        302,
        "redirect not followed",
    )
    assert len(receiver.requests) == 1
    assert len(scheduled) == 1


def test_the_address_is_checked_again_at_delivery(
    organization, endpoint_and_secret, receiver, scheduled, settings, announce
):
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = False
    announce(organization)

    delivery = WebhookDelivery.objects.for_organization(organization).get()
    assert receiver.requests == []
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        DeliveryStatus.PENDING,
        None,
        "refused: The URL resolves to a private, loopback or link-local address, which webhooks cannot reach.",
    )


def test_the_sweeper_redrives_a_delivery_whose_message_was_lost(
    organization, endpoint_and_secret, receiver, no_worker, monkeypatch, announce, django_capture_on_commit_callbacks
):
    announce(organization)
    assert (no_worker, receiver.requests) == ([[WebhookDelivery.objects.for_organization(organization).get().pk]], [])
    delivery = WebhookDelivery.objects.for_organization(organization).get()
    monkeypatch.setattr(deliver_task, "apply_async", lambda args=None, **options: deliver_task.apply(args=args))

    assert deliveries_redrive() == 0  # not overdue yet
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_redrive() == 1
        assert deliveries_redrive() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (DeliveryStatus.DELIVERED, 1, 1)


def test_during_a_rotation_both_secrets_verify_then_only_the_new_one(
    organization, endpoint_and_secret, receiver, scheduled, announce
):
    endpoint, old_secret = endpoint_and_secret
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        endpoint, new_secret = endpoint_rotate_secret(
            actor=Actor.system("test"), organization=organization, endpoint=endpoint
        )
        announce(organization, "50")
        [during] = receiver.requests
        # Verified with the SDK, as a partner's receiver does: either secret, or both while switching over.
        assert verify_webhook(during.body, during.headers, old_secret)["data"] == {"threshold": "50"}
        assert verify_webhook(during.body, during.headers, new_secret)["data"] == {"threshold": "50"}
        assert verify_webhook(during.body, during.headers, [new_secret, old_secret])["data"] == {"threshold": "50"}
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        clock.shift(ROTATION_OVERLAP + timedelta(seconds=1))
        announce(organization, "80")
        after = receiver.requests[1]
        assert verify_webhook(after.body, after.headers, [new_secret, old_secret])["data"] == {"threshold": "80"}
        with pytest.raises(InvalidWebhook):
            verify_webhook(after.body, after.headers, old_secret)
        with pytest.raises(WebhookVerificationError):
            Webhook(old_secret).verify(after.body, after.headers)
    assert new_secret != old_secret


def test_a_test_event_and_a_resend_keep_their_webhook_id(
    organization, owner, endpoint_and_secret, receiver, scheduled, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    endpoint, secret = endpoint_and_secret
    client = APIClient()
    client.force_authenticate(owner)
    base = f"/api/v1/organizations/rheinwerk/webhook-endpoints/{endpoint.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"{base}/test/")
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"{base}/deliveries/{sent.json()['id']}/resend/")
    log = client.get(f"{base}/deliveries/").json()["results"]
    detail = client.get(f"{base}/deliveries/{sent.json()['id']}/").json()

    assert (sent.status_code, resent.status_code) == (202, 202)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == sent.json()["message_id"]
    assert json.loads(first.body) == json.loads(second.body)
    assert Webhook(secret).verify(second.body, second.headers)["type"] == "webhook.test"
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [("webhook.test", "delivered", 2)]
    assert [(a["number"], a["response_status"], a["error"]) for a in detail["attempt_log"]] == [
        (1, 204, ""),
        (2, 204, ""),
    ]


def test_an_endpoint_for_other_events_lets_a_booking_publish_its_events_early(
    organization, receiver, django_assert_num_queries
):
    endpoint_create(
        actor=Actor.system("test"), organization=organization, url=receiver.url, event_types=["invoice.finalized"]
    )
    booked = [
        Event(name="reservation.created", organization_id=organization.pk, subject_id=1),
        Event(name="reservation.scheduled", organization_id=organization.pk, subject_id=1),
    ]

    with django_assert_num_queries(1):
        assert deliveries_wanted(booked) is False
    endpoint_create(
        actor=Actor.system("test"), organization=organization, url=receiver.url, event_types=["reservation.scheduled"]
    )
    assert deliveries_wanted(booked) is True
    with django_assert_num_queries(0):
        assert deliveries_wanted([Event(name="reservation.requested", organization_id=organization.pk)]) is False


def test_an_event_of_an_organization_without_endpoints_costs_one_query(organization, django_assert_num_queries):
    with django_assert_num_queries(1):
        publish("budget.threshold_reached", organization_id=organization.pk, data={"threshold": "80"})

    assert WebhookDelivery.objects.for_organization(organization).count() == 0
