"""Side effects never break the change that caused them: a mail server that is down neither fails a booking nor
stops the deprovisioning of a failed reservation, and its e-mails are retried until they go out."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition
from tenants.audit import Actor
from tenants.mail import MAX_ATTEMPTS
from tenants.models import Membership, OutgoingEmail, OutgoingEmailStatus
from tests.support.mail import flaky

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(customer):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    return client


def test_booking_answers_201_while_smtp_fails_and_the_mail_is_retried(
    small_inventory, customer, make_quote, owner_client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    backend = flaky(settings, failures=2)
    quote = make_quote()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/api/v1/organizations/rheinwerk/reservations/", {"quote": quote.pk}, format="json"
        )

    assert response.status_code == 201
    assert Reservation.objects.for_organization(customer).get().state == ReservationState.SCHEDULED
    assert backend.refused == 2
    assert [message.subject for message in mailoutbox] == [
        OutgoingEmail.objects.get().subject,
    ]
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts, email.template, email.last_error) == (
        OutgoingEmailStatus.SENT,
        3,
        "reservation_scheduled",
        "",
    )


def test_a_failed_reservation_is_deprovisioned_although_its_mail_never_goes_out(
    small_inventory, customer, make_quote, settings, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    from provisioning.tasks import deprovision_reservation_task

    booking_quote = make_quote()
    from reservations.services import reservation_create

    with django_capture_on_commit_callbacks(execute=True):  # its "booked" e-mail goes out while the server is up
        reservation = reservation_create(
            actor=Actor.system("test"), organization=customer, quote=booking_quote
        ).reservation
    mailoutbox.clear()
    deprovisioned: list[int] = []
    monkeypatch.setattr(deprovision_reservation_task, "apply_async", lambda args, **options: deprovisioned.extend(args))
    backend = flaky(settings, failures=1_000)

    with django_capture_on_commit_callbacks(execute=True):
        reservation_transition(
            actor=Actor.system("test"), reservation=reservation, to_state=ReservationState.FAILED, reason="test"
        )

    assert deprovisioned == [reservation.pk]
    assert mailoutbox == []
    assert backend.refused == MAX_ATTEMPTS
    failed = OutgoingEmail.objects.get(template="reservation_failed")
    assert (failed.status, failed.attempts) == (OutgoingEmailStatus.FAILED, MAX_ATTEMPTS)
    assert failed.last_error == "SMTPConnectError: (421, 'mail.kontor.example: service not available')"
