"""Sending the e-mail outbox (``OutgoingEmail``): at least once, never twice at the same time, retried on failure."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.tasks import enqueue_on_commit
from tenants.models import OutgoingEmail, OutgoingEmailStatus

SEND_TASK = "tenants.send_email"
MAX_ATTEMPTS = 10
# A pending e-mail older than this whose task message was lost is sent again by the sweeper.
RESEND_AFTER = timedelta(minutes=10)


def email_enqueue(*, to: str, subject: str, body: str, html_body: str = "", template: str = "") -> OutgoingEmail:
    """Write the e-mail in the current transaction; the task that sends it is queued once the transaction commits."""
    email = OutgoingEmail.objects.create(to=to, subject=subject, body=body, html_body=html_body, template=template)
    enqueue_on_commit(SEND_TASK, email.pk)
    return email


def email_send(*, email_id: int) -> bool:
    """Send one pending e-mail. Returns False when there is nothing to do (sent already, or another worker holds it
    right now); raises the transport's error after recording it, so the task retries."""
    failure: Exception | None = None
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutgoingEmailStatus.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(email.subject, email.body, None, [email.to])
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        try:
            message.send()
        except Exception as exc:  # every transport error is recorded, then retried by the task
            failure = exc
            status = OutgoingEmailStatus.FAILED if email.attempts + 1 >= MAX_ATTEMPTS else OutgoingEmailStatus.PENDING
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000], status=status
            )
        else:
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=F("attempts") + 1, status=OutgoingEmailStatus.SENT, sent_at=timezone.now(), last_error=""
            )
    if failure is not None:
        raise failure
    return True


def emails_resend_stale(*, now: datetime | None = None) -> int:
    """Re-drive pending e-mails whose task message was lost (invariant 9); sending is idempotent per row."""
    cutoff = (now or timezone.now()) - RESEND_AFTER
    stale = list(
        OutgoingEmail.objects.filter(status=OutgoingEmailStatus.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for email_id in stale:
        enqueue_on_commit(SEND_TASK, email_id)
    return len(stale)
