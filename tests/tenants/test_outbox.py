"""The e-mail outbox: written with the change; sent by a debounced drain in batches over one connection, once even
when drains or the retry task run at the same time; a failed e-mail is counted and retried by its own task; re-driven
when a message was lost."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone

from tenants.mail import (
    SEND_PENDING_FLAG,
    SEND_PENDING_TASK,
    SEND_TASK,
    StoredAttachment,
    email_enqueue,
    email_send,
    emails_resend_stale,
    emails_send_pending,
)
from tenants.models import OutgoingEmail, OutgoingEmailStatus
from tenants.tasks import send_email_task, send_pending_emails_task
from tests.support import broker
from tests.support.mail import CountingBackend, SlowBackend, flaky

FLAG_KEY = f"kontor:drain:{SEND_PENDING_FLAG}"


@pytest.fixture
def published(monkeypatch):
    """The outbox's tasks are published to the real broker (not run in this process); its ``email`` queue starts
    empty and is emptied afterwards."""
    monkeypatch.delattr(send_pending_emails_task, "apply_async")  # Celery's own again
    monkeypatch.delattr(send_email_task, "apply_async")
    broker.purge()
    yield broker.queued
    broker.purge()


def enqueued(capture, count: int = 1) -> list[OutgoingEmail]:
    with capture(execute=True):
        return [
            email_enqueue(to=f"anna{number}@rheinwerk.example", subject=f"Hallo {number}", body="Text")
            for number in range(count)
        ]


@pytest.mark.django_db
def test_sending_twice_sends_once(mailoutbox):
    email = email_enqueue(to="anna@rheinwerk.example", subject="Hallo", body="Text", template="test")

    first = email_send(email_id=email.pk)
    second = email_send(email_id=email.pk)

    assert (first, second) == (True, False)
    assert [(m.to, m.subject, m.body) for m in mailoutbox] == [(["anna@rheinwerk.example"], "Hallo", "Text")]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmailStatus.SENT, 1)
    assert email.sent_at is not None


@pytest.mark.django_db
def test_the_drain_sends_every_pending_first_try_over_one_connection(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.support.mail.CountingBackend"
    CountingBackend.connections = 0
    emails = [email_enqueue(to=f"anna{n}@rheinwerk.example", subject=f"Hallo {n}", body="Text") for n in range(5)]

    assert emails_send_pending() == 5
    assert emails_send_pending() == 0  # a second run changes nothing

    assert CountingBackend.connections == 1
    assert sorted(message.subject for message in mailoutbox) == [f"Hallo {n}" for n in range(5)]
    assert set(OutgoingEmail.objects.values_list("status", "attempts", "last_error")) == {
        (OutgoingEmailStatus.SENT, 1, "")
    }
    assert OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails], sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_many_commits_publish_one_drain_while_its_flag_is_set(published, django_capture_on_commit_callbacks):
    for _ in range(3):
        enqueued(django_capture_on_commit_callbacks)

    assert published() == [SEND_PENDING_TASK]
    assert cache.get(FLAG_KEY) == 1

    assert emails_send_pending() == 3  # clears the flag, then reads all three
    assert cache.get(FLAG_KEY) is None
    broker.purge()

    enqueued(django_capture_on_commit_callbacks)  # committed after the drain's read: a drain of its own
    assert published() == [SEND_PENDING_TASK]


@pytest.mark.django_db
def test_a_full_batch_schedules_the_next_drain(published, django_capture_on_commit_callbacks, mailoutbox):
    enqueued(django_capture_on_commit_callbacks, count=3)
    broker.purge()

    with django_capture_on_commit_callbacks(execute=True):
        assert emails_send_pending(limit=2) == 2
    assert published() == [SEND_PENDING_TASK]
    broker.purge()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_send_pending(limit=2) == 1
    assert published() == []
    assert len(mailoutbox) == 3


@pytest.mark.django_db
def test_a_failed_e_mail_is_counted_and_retried_by_its_task_and_the_rest_is_sent(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    backend = flaky(settings, failures=1)

    emails = enqueued(django_capture_on_commit_callbacks, count=3)  # the drain and the retry run in this process

    assert backend.refused == 1
    assert sorted(message.subject for message in mailoutbox) == ["Hallo 0", "Hallo 1", "Hallo 2"]
    rows = OutgoingEmail.objects.in_bulk([email.pk for email in emails])
    assert [(rows[email.pk].status, rows[email.pk].attempts) for email in emails] == [
        (OutgoingEmailStatus.SENT, 2),  # refused once, then sent by its retry
        (OutgoingEmailStatus.SENT, 1),
        (OutgoingEmailStatus.SENT, 1),
    ]


@pytest.mark.django_db
def test_a_failed_e_mail_goes_to_its_retrying_task_with_a_countdown(
    settings, published, django_capture_on_commit_callbacks
):
    flaky(settings, failures=1)
    [email] = enqueued(django_capture_on_commit_callbacks)
    broker.purge()

    with django_capture_on_commit_callbacks(execute=True):
        assert emails_send_pending() == 0

    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmailStatus.PENDING, 1)
    assert email.last_error == "SMTPConnectError: (421, 'mail.kontor.example: service not available')"
    assert published() == [SEND_TASK]  # its retry; no other e-mail was left untried
    assert emails_send_pending() == 0  # the drain leaves a retried e-mail to its task (and its backoff)
    assert email_send(email_id=email.pk) is True


@pytest.mark.django_db
def test_a_transport_error_stops_the_batch_and_leaves_the_rest_untried_for_the_next_drain(
    settings, published, django_capture_on_commit_callbacks
):
    emails = enqueued(django_capture_on_commit_callbacks, count=3)
    broker.purge()
    backend = flaky(settings, failures=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert emails_send_pending() == 0

    rows = OutgoingEmail.objects.in_bulk([email.pk for email in emails])
    assert [(rows[email.pk].status, rows[email.pk].attempts) for email in emails] == [
        (OutgoingEmailStatus.PENDING, 1),  # counted; its own task retries it
        (OutgoingEmailStatus.PENDING, 0),  # never tried: not counted as failed
        (OutgoingEmailStatus.PENDING, 0),
    ]
    assert (backend.refused, published()) == (1, [SEND_TASK, SEND_PENDING_TASK])  # the drain again, after a countdown
    assert emails_send_pending() == 2


@pytest.mark.django_db
def test_an_attachment_that_changed_fails_its_e_mail_alone(mailoutbox, django_capture_on_commit_callbacks):
    storage = storages["default"]
    path = storage.save("outbox/terms.txt", ContentFile(b"the terms"))
    digest = hashlib.sha256(b"the terms").hexdigest()
    with django_capture_on_commit_callbacks(execute=False):
        changed = email_enqueue(
            to="anna@rheinwerk.example",
            subject="Changed",
            body="Text",
            attachments=[StoredAttachment("terms.txt", "text/plain", "default", path, "0" * 64)],
        )
        intact = email_enqueue(
            to="ben@rheinwerk.example",
            subject="Intact",
            body="Text",
            attachments=[StoredAttachment("terms.txt", "text/plain", "default", path, digest)],
        )

    assert emails_send_pending() == 1

    changed.refresh_from_db()
    intact.refresh_from_db()
    assert (changed.status, changed.attempts) == (OutgoingEmailStatus.FAILED, 1)
    assert changed.last_error.startswith("AttachmentMismatchError: default:outbox/terms")
    assert (intact.status, intact.attempts) == (OutgoingEmailStatus.SENT, 1)
    [message] = mailoutbox
    assert (message.subject, message.attachments) == ("Intact", [("terms.txt", "the terms", "text/plain")])


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_send_each_mail_once(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.support.mail.SlowBackend"
    SlowBackend.seconds = 0.02
    for number in range(20):
        email_enqueue(to=f"anna{number}@rheinwerk.example", subject=f"Hallo {number}", body="Text")
    mailoutbox.clear()  # the writers' own drains ran at each commit: start again from twenty pending
    OutgoingEmail.objects.update(status=OutgoingEmailStatus.PENDING, attempts=0, sent_at=None)
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def drain() -> None:
        barrier.wait()
        try:
            sent.append(emails_send_pending(limit=5))  # a full batch runs the next drain, in this thread
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(message.subject for message in mailoutbox) == sorted(f"Hallo {n}" for n in range(20))
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(OutgoingEmailStatus.SENT, 1)}
    assert all(count > 0 for count in sent)  # both drains sent some


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_mail(mailoutbox, monkeypatch):
    monkeypatch.setattr(send_pending_emails_task, "apply_async", lambda *args, **options: None)  # the two send it
    email = email_enqueue(to="anna@rheinwerk.example", subject="Hallo", body="Text", template="test")
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(email_send(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert len(mailoutbox) == 1
    assert OutgoingEmail.objects.get().attempts == 1


@pytest.mark.django_db
def test_the_sweeper_redrives_only_stale_pending_mail(published, django_capture_on_commit_callbacks):
    first_try = OutgoingEmail.objects.create(to="a@example.de", subject="s", body="b")
    also_first_try = OutgoingEmail.objects.create(to="b@example.de", subject="s", body="b")
    retrying = OutgoingEmail.objects.create(to="c@example.de", subject="s", body="b", attempts=2)
    fresh = OutgoingEmail.objects.create(to="d@example.de", subject="s", body="b")
    done = OutgoingEmail.objects.create(
        to="e@example.de", subject="s", body="b", status=OutgoingEmailStatus.SENT, sent_at=timezone.now(), attempts=1
    )
    OutgoingEmail.objects.exclude(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        count = emails_resend_stale()

    assert count == 3
    # One drain for the first tries, whatever the flag says; the retrying e-mail's own task.
    assert published() == [SEND_PENDING_TASK, SEND_TASK]
    assert {first_try.pk, also_first_try.pk, retrying.pk}.isdisjoint({fresh.pk, done.pk})


@pytest.mark.django_db
def test_a_lost_drain_message_is_healed_by_the_sweeper(published, django_capture_on_commit_callbacks, mailoutbox):
    [lost] = enqueued(django_capture_on_commit_callbacks)
    broker.purge()  # the drain's message is lost; its flag stays until its TTL
    enqueued(django_capture_on_commit_callbacks)
    assert published() == []
    OutgoingEmail.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert emails_resend_stale() == 1
    assert published() == [SEND_PENDING_TASK]

    assert send_pending_emails_task.apply().get() == 2  # the drain takes the newer one too
    assert sorted(message.to[0] for message in mailoutbox) == ["anna0@rheinwerk.example"] * 2


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_mail(published, django_capture_on_commit_callbacks):
    def change_that_fails() -> None:
        with transaction.atomic():
            email_enqueue(to="anna@rheinwerk.example", subject="Hallo", body="Text")
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()

    assert OutgoingEmail.objects.count() == 0
    assert published() == []
    assert cache.get(FLAG_KEY) is None
