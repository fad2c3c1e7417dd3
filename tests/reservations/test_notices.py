"""A lifecycle e-mail is owed in the transaction of its change (one notice row, nothing rendered there); after the
commit the change schedules the notice drain, debounced (one broker message while one is queued), which writes the
notices of a batch into the e-mail outbox once each and sends them; a lost message is re-driven by the sweeper, and
a notice that fails to render holds back no other."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reservations.models import ReservationNotice
from reservations.notifications import (
    NOTICE_DRAIN_FLAG,
    NOTICE_DRAIN_GATHER_SECONDS,
    NOTICE_DRAIN_TASK,
    NOTICE_DRAIN_TTL,
    NOTICE_KEEP,
    notice_write,
    notices_prune,
    notices_redrive,
    notices_write_pending,
)
from reservations.services import reservation_create
from reservations.tasks import write_notice_task, write_pending_notices_task
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership, OutgoingEmail, OutgoingEmailStatus
from tests.factories import MembershipFactory
from tests.support import broker

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
FLAG_KEY = f"kontor:drain:{NOTICE_DRAIN_FLAG}"


@pytest.fixture
def published(monkeypatch):
    """The notice drain is published to the real broker (not run in this process); its ``email`` queue starts
    empty and is emptied afterwards."""
    monkeypatch.delattr(write_pending_notices_task, "apply_async")  # Celery's own again
    broker.purge()
    yield broker.queued
    broker.purge()


def booked(customer, make_quote, capture):
    with capture(execute=True):
        return reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation


def test_a_booking_owes_its_e_mail_and_the_drain_writes_it_once(small_inventory, customer, make_quote):
    before = OutgoingEmail.objects.count()
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation

    notice = ReservationNotice.objects.for_organization(customer).get(reservation=reservation)
    assert (notice.template, notice.written_at) == ("reservation_scheduled", None)
    assert OutgoingEmail.objects.count() == before  # nothing rendered in the booking's transaction

    assert notices_write_pending() == 1
    assert notices_write_pending() == 0  # a second run changes nothing

    owner = Membership.objects.for_organization(customer).get().user
    written = list(OutgoingEmail.objects.order_by("pk").values_list("to", "template", "subject")[before:])
    assert written == [(owner.email, "reservation_scheduled", f"Kontor: reservation {reservation.pk} is booked")]
    assert ReservationNotice.objects.for_organization(customer).get(pk=notice.pk).written_at is not None


def test_the_drain_sends_the_e_mails_it_wrote_after_its_commit(
    small_inventory, customer, make_quote, mailoutbox, django_capture_on_commit_callbacks
):
    MembershipFactory.create(organization=customer, role=Role.ADMIN)
    MembershipFactory.create(organization=customer, role=Role.MEMBER)  # members get no reservation e-mails
    reservation = booked(customer, make_quote, django_capture_on_commit_callbacks)  # the drain ran in this process

    recipients = sorted(
        Membership.objects.for_organization(customer)
        .filter(role__in=[Role.OWNER, Role.ADMIN])
        .values_list("user__email", flat=True)
    )
    assert sorted(message.to[0] for message in mailoutbox) == recipients
    assert {message.subject for message in mailoutbox} == {f"Kontor: reservation {reservation.pk} is booked"}
    assert list(OutgoingEmail.objects.values_list("status", "attempts")) == [(OutgoingEmailStatus.SENT, 1)] * 2


def test_many_commits_publish_one_drain_while_its_flag_is_set(
    small_inventory, customer, make_quote, published, django_capture_on_commit_callbacks
):
    for _ in range(3):
        booked(customer, make_quote, django_capture_on_commit_callbacks)

    assert published() == [NOTICE_DRAIN_TASK]
    key = cache.make_and_validate_key(FLAG_KEY)
    assert 0 < cache._cache.get_client(key).ttl(key) <= NOTICE_DRAIN_TTL  # type: ignore[attr-defined]

    # The flag was set before the drain cleared it, so the three rows were committed before its read.
    assert notices_write_pending() == 3
    assert cache.get(FLAG_KEY) is None
    assert published() == [NOTICE_DRAIN_TASK]  # the drain queued nothing more


def test_a_writers_drain_waits_to_gather_the_notices_written_meanwhile_and_a_full_batchs_does_not(
    small_inventory, customer, make_quote, published, django_capture_on_commit_callbacks
):
    """The drain a booking schedules runs ``NOTICE_DRAIN_GATHER_SECONDS`` later (one run for the notices of a
    burst, however many commit meanwhile); the drain that continues after a full batch runs at once."""
    before = timezone.now()
    booked(customer, make_quote, django_capture_on_commit_callbacks)
    booked(customer, make_quote, django_capture_on_commit_callbacks)

    ((name, eta),) = broker.queued_eta()
    assert name == NOTICE_DRAIN_TASK
    assert eta is not None
    waits = datetime.fromisoformat(eta) - before
    assert timedelta(seconds=NOTICE_DRAIN_GATHER_SECONDS) <= waits < timedelta(seconds=NOTICE_DRAIN_GATHER_SECONDS + 5)

    broker.purge()
    with django_capture_on_commit_callbacks(execute=True):
        assert notices_write_pending(limit=1) == 1  # a full batch: the next drain at once
    assert broker.queued_eta() == [(NOTICE_DRAIN_TASK, None)]


def test_a_notice_committed_after_the_drain_read_gets_a_drain_of_its_own(
    small_inventory, customer, make_quote, published, django_capture_on_commit_callbacks
):
    booked(customer, make_quote, django_capture_on_commit_callbacks)
    assert notices_write_pending() == 1  # clears the flag, then reads
    broker.purge()  # the first drain's message, consumed

    late = booked(customer, make_quote, django_capture_on_commit_callbacks)

    assert published() == [NOTICE_DRAIN_TASK]
    assert ReservationNotice.objects.for_organization(customer).get(reservation=late).written_at is None
    assert write_pending_notices_task.apply().get() == 1


def test_a_full_batch_schedules_the_next_drain(
    small_inventory, customer, make_quote, published, django_capture_on_commit_callbacks
):
    for _ in range(3):
        booked(customer, make_quote, django_capture_on_commit_callbacks)
    broker.purge()

    with django_capture_on_commit_callbacks(execute=True):
        first = notices_write_pending(limit=2)
    assert (first, published()) == (2, [NOTICE_DRAIN_TASK])

    broker.purge()
    with django_capture_on_commit_callbacks(execute=True):
        rest = notices_write_pending(limit=2)
    assert (rest, published()) == (1, [])  # not full: nothing more to drain
    assert ReservationNotice.objects.for_organization(customer).filter(written_at__isnull=True).count() == 0


def test_a_lost_drain_message_is_healed_by_the_sweeper(
    small_inventory, customer, make_quote, published, django_capture_on_commit_callbacks
):
    first = booked(customer, make_quote, django_capture_on_commit_callbacks)
    broker.purge()  # the drain's message is lost; its flag stays until its TTL
    second = booked(customer, make_quote, django_capture_on_commit_callbacks)
    assert published() == []  # the flag says a drain is queued
    later = timezone.now() + timedelta(minutes=3)

    with django_capture_on_commit_callbacks(execute=True):
        assert notices_redrive(now=timezone.now()) == 0  # their own message may still be on the way
        assert notices_redrive(now=later) == 2
    assert published() == [NOTICE_DRAIN_TASK]  # one drain, whatever the flag says

    assert write_pending_notices_task.apply().get() == 2
    assert set(
        ReservationNotice.objects.for_organization(customer)
        .filter(written_at__isnull=False)
        .values_list("reservation_id", flat=True)
    ) == {first.pk, second.pk}
    assert notices_redrive(now=later) == 0


def test_a_notice_that_fails_to_render_holds_back_no_other(small_inventory, customer, make_quote, caplog):
    good = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    broken = [
        ReservationNotice.objects.create(organization=customer, reservation=good, template="reservation_unknown")
        for _ in range(2)
    ]
    ReservationNotice.objects.for_organization(customer).filter(pk__in=[notice.pk for notice in broken]).update(
        created_at=timezone.now() - timedelta(minutes=1)  # older than the good one: taken first
    )

    # A batch of two holds only the broken ones: the drain passes over them within its run.
    assert notices_write_pending(limit=2) == 1

    unwritten = ReservationNotice.objects.for_organization(customer).filter(written_at__isnull=True)
    assert sorted(unwritten.values_list("pk", flat=True)) == sorted(notice.pk for notice in broken)
    assert list(OutgoingEmail.objects.values_list("template", flat=True)) == ["reservation_scheduled"]
    assert caplog.text.count("notice.render_failed") == 2
    assert notices_redrive(now=timezone.now() + timedelta(minutes=3)) == 2  # left for the sweeper


def test_a_batch_reads_in_the_same_statements_however_many_notices_and_recipients(
    small_inventory, customer, make_quote, other_organization
):
    def statements_of_a_batch() -> int:
        with CaptureQueriesContext(connection) as queries:
            notices_write_pending()
        return len(queries)

    reservation_create(actor=ACTOR, organization=customer, quote=make_quote())
    one = statements_of_a_batch()
    MembershipFactory.create_batch(3, organization=customer, role=Role.ADMIN)
    for _ in range(4):
        reservation_create(actor=ACTOR, organization=customer, quote=make_quote())
    many = statements_of_a_batch()

    assert OutgoingEmail.objects.count() == 1 + 4 * 4
    # The notices with their reservations, the recipients, the e-mails' insert, the notices' update; and here,
    # inside the test's transaction, a savepoint and its release.
    assert (one, many) == (6, 6)


def test_a_write_notice_message_queued_before_the_drain_still_writes_its_notice_once(
    small_inventory, customer, make_quote
):
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    notice = ReservationNotice.objects.for_organization(customer).get(reservation=reservation)

    assert write_notice_task.apply(args=(notice.pk,)).get() is True
    assert write_notice_task.apply(args=(notice.pk,)).get() is False
    assert notice_write(notice_id=notice.pk) is False
    assert OutgoingEmail.objects.filter(template="reservation_scheduled").count() == 1
    with pytest.raises(TypeError, match="by its id"):
        notice_write(notice_id=str(notice.pk))  # type: ignore[arg-type]


def test_written_notices_are_pruned_after_they_are_kept_and_unwritten_ones_never(small_inventory, customer, make_quote):
    written = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    notice = ReservationNotice.objects.for_organization(customer).get(reservation=written)
    notice_write(notice_id=notice.pk, now=timezone.now())
    unwritten = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    ReservationNotice.objects.for_organization(customer).filter(reservation=unwritten).update(
        written_at=None, created_at=timezone.now() - NOTICE_KEEP * 2
    )
    later = timezone.now() + NOTICE_KEEP

    assert notices_prune(now=timezone.now()) == 0
    assert notices_prune(now=later + timedelta(seconds=1)) == 1
    assert list(ReservationNotice.objects.for_organization(customer).values_list("reservation_id", "written_at")) == [
        (unwritten.pk, None)
    ]
