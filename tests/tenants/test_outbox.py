"""The e-mail outbox: written with the change, sent once even when the task runs twice or concurrently, re-driven
when its message was lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenants.mail import email_enqueue, email_send, emails_resend_stale
from tenants.models import OutgoingEmail, OutgoingEmailStatus


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


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_mail(mailoutbox, monkeypatch):
    from tenants.tasks import send_email_task

    monkeypatch.setattr(send_email_task, "apply_async", lambda args, **options: None)  # the two workers send it
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
def test_the_sweeper_redrives_only_stale_pending_mail(monkeypatch, django_capture_on_commit_callbacks):
    from tenants.tasks import send_email_task

    sent: list[int] = []
    monkeypatch.setattr(send_email_task, "apply_async", lambda args, **options: sent.extend(args))
    stale = OutgoingEmail.objects.create(to="a@example.de", subject="s", body="b")
    fresh = OutgoingEmail.objects.create(to="b@example.de", subject="s", body="b")
    done = OutgoingEmail.objects.create(
        to="c@example.de", subject="s", body="b", status=OutgoingEmailStatus.SENT, sent_at=timezone.now()
    )
    OutgoingEmail.objects.filter(pk__in=[stale.pk, done.pk]).update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        count = emails_resend_stale()

    assert (count, sent) == (1, [stale.pk])
    assert fresh.pk not in sent


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_mail():
    from django.db import transaction

    def change_that_fails() -> None:
        with transaction.atomic():
            email_enqueue(to="anna@rheinwerk.example", subject="Hallo", body="Text")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert OutgoingEmail.objects.count() == 0
