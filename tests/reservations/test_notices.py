"""A lifecycle e-mail is owed in the transaction of its change (one notice row, nothing rendered there) and written
into the e-mail outbox by its task after the commit: once, however often the task runs, and re-driven when its
message was lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations.models import ReservationNotice
from reservations.notifications import NOTICE_KEEP, notice_write, notices_prune, notices_redrive
from reservations.services import reservation_create
from reservations.tasks import write_notice_task
from tenants.audit import Actor
from tenants.models import Membership, OutgoingEmail

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")


def test_a_booking_owes_its_e_mail_and_the_task_writes_it_once(small_inventory, customer, make_quote):
    before = OutgoingEmail.objects.count()
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation

    notice = ReservationNotice.objects.for_organization(customer).get(reservation=reservation)
    assert (notice.template, notice.written_at) == ("reservation_scheduled", None)
    assert OutgoingEmail.objects.count() == before  # nothing rendered in the booking's transaction

    assert notice_write(notice_id=notice.pk) is True
    assert notice_write(notice_id=notice.pk) is False  # a second run changes nothing

    owner = Membership.objects.for_organization(customer).get().user
    written = list(OutgoingEmail.objects.order_by("pk").values_list("to", "template", "subject")[before:])
    assert written == [(owner.email, "reservation_scheduled", f"Kontor: reservation {reservation.pk} is booked")]
    assert ReservationNotice.objects.for_organization(customer).get(pk=notice.pk).written_at is not None


def test_the_booking_queues_the_notice_task_by_id_after_the_commit(
    small_inventory, customer, make_quote, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[object] = []
    monkeypatch.setattr(write_notice_task, "apply_async", lambda args=None, **options: queued.extend(args))

    with django_capture_on_commit_callbacks(execute=True):
        reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation

    assert queued == [ReservationNotice.objects.for_organization(customer).get(reservation=reservation).pk]


def test_the_sweeper_re_drives_a_notice_whose_message_was_lost(
    small_inventory, customer, make_quote, monkeypatch, django_capture_on_commit_callbacks
):
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    notice = ReservationNotice.objects.for_organization(customer).get(reservation=reservation)
    queued: list[object] = []
    monkeypatch.setattr(write_notice_task, "apply_async", lambda args=None, **options: queued.extend(args))
    later = timezone.now() + timedelta(minutes=3)

    with django_capture_on_commit_callbacks(execute=True):
        assert notices_redrive(now=timezone.now()) == 0  # its own message may still be on the way
        assert notices_redrive(now=later) == 1
    assert queued == [notice.pk]

    notice_write(notice_id=notice.pk)
    assert notices_redrive(now=later) == 0


def test_written_notices_are_pruned_after_they_are_kept_and_unwritten_ones_never(small_inventory, customer, make_quote):
    written = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    unwritten = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    notice = ReservationNotice.objects.for_organization(customer).get(reservation=written)
    notice_write(notice_id=notice.pk, now=timezone.now())
    ReservationNotice.objects.for_organization(customer).filter(reservation=unwritten).update(
        written_at=None, created_at=timezone.now() - NOTICE_KEEP * 2
    )
    later = timezone.now() + NOTICE_KEEP

    assert notices_prune(now=timezone.now()) == 0
    assert notices_prune(now=later + timedelta(seconds=1)) == 1
    assert list(ReservationNotice.objects.for_organization(customer).values_list("reservation_id", "written_at")) == [
        (unwritten.pk, None)
    ]
