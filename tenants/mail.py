"""Sending the e-mail outbox (``OutgoingEmail``): at least once, never twice at the same time, retried on failure.

A transaction that writes e-mails schedules one debounced drain (``core.tasks.enqueue_drain_on_commit``): the
``tenants.send_pending_emails`` task sends every e-mail still on its first try, in batches locked ``FOR UPDATE SKIP
LOCKED`` (two drains never hold the same row), each batch over one open mail connection. An e-mail that fails is
recorded (attempts, last error) and handed to its own ``tenants.send_email`` task, which retries it with backoff
until ``MAX_ATTEMPTS``; the drain takes only first tries, so it never cuts a backoff short. A sweeper re-drives
pending e-mails whose message was lost.

Attachments are references to stored files (``OutgoingEmailAttachment``: storage alias, path, SHA-256), read from
the storage when the e-mail is sent, on every retry; a file whose bytes no longer match the digest is never sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import storages
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.tasks import drain_flag_clear, enqueue_drain_on_commit, enqueue_on_commit
from tenants.models import OutgoingEmail, OutgoingEmailAttachment, OutgoingEmailStatus

logger = logging.getLogger(__name__)

SEND_TASK = "tenants.send_email"
SEND_PENDING_TASK = "tenants.send_pending_emails"
# The cache flag that says a drain is queued (``core.tasks.enqueue_drain``), and how long it lives when its message
# was lost: the longest a new e-mail waits for a drain before its writer publishes one again.
SEND_PENDING_FLAG = "tenants.emails"
SEND_PENDING_TTL = 60
# E-mails sent per batch: one transaction holding their row locks, one mail connection.
SEND_BATCH = 50
MAX_ATTEMPTS = 10
# The first retry of an e-mail the drain could not send, in seconds (then the task's own backoff).
RETRY_COUNTDOWN = 10
# A pending e-mail older than this whose task message was lost is sent again by the sweeper.
RESEND_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class StoredAttachment:
    """A file to attach: where it is stored (``settings.STORAGES`` alias and path) and the digest of its bytes."""

    filename: str
    content_type: str
    storage: str
    path: str
    sha256: str


class AttachmentMismatchError(Exception):
    """A stored attachment's bytes differ from the digest recorded with the e-mail: it is not sent."""


def email_enqueue(
    *,
    to: str,
    subject: str,
    body: str,
    html_body: str = "",
    template: str = "",
    attachments: Sequence[StoredAttachment] = (),
) -> OutgoingEmail:
    """Write the e-mail in the current transaction; once the transaction commits, the sending drain is scheduled
    (debounced: one message for all the e-mails of many transactions).

    With attachments, the e-mail and its attachment rows are written in one (nested) transaction; without, no
    savepoint is spent on it (a booking's statements are pinned)."""
    with transaction.atomic() if attachments else nullcontext():
        email = OutgoingEmail.objects.create(to=to, subject=subject, body=body, html_body=html_body, template=template)
        OutgoingEmailAttachment.objects.bulk_create(
            OutgoingEmailAttachment(
                email=email,
                position=position,
                filename=attachment.filename,
                content_type=attachment.content_type,
                storage=attachment.storage,
                path=attachment.path,
                sha256=attachment.sha256,
            )
            for position, attachment in enumerate(attachments, start=1)
        )
    enqueue_drain_on_commit(SEND_PENDING_TASK, flag=SEND_PENDING_FLAG, ttl=SEND_PENDING_TTL)
    return email


def emails_write(emails: Iterable[OutgoingEmail]) -> list[OutgoingEmail]:
    """Write unsaved e-mails (no attachments) in one INSERT, in the current transaction, and schedule nothing: the
    caller sends them itself after its commit (``emails_send``), as the notice drain does. Should that never happen
    (the process died), the sweeper sends them (``emails_resend_stale``)."""
    rows = list(emails)
    for email in rows:
        if email.pk is not None or email.status != OutgoingEmailStatus.PENDING or email.attempts:
            raise ValueError(f"emails_write takes new pending e-mails, not {email!r}.")
    return OutgoingEmail.objects.bulk_create(rows)


def _attachment_bytes(attachment: OutgoingEmailAttachment) -> bytes:
    with storages[attachment.storage].open(attachment.path, "rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise AttachmentMismatchError(
            f"{attachment.storage}:{attachment.path} does not have the SHA-256 recorded with the e-mail."
        )
    return bytes(content)


def _message(email: OutgoingEmail, attachments: Iterable[OutgoingEmailAttachment]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(email.subject, email.body, None, [email.to])
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, _attachment_bytes(attachment), attachment.content_type)
    return message


def _failure_record(email: OutgoingEmail, exc: Exception) -> bool:
    """Count a failed try of ``email`` and keep its error; True when it failed for good (no retry)."""
    final = email.attempts + 1 >= MAX_ATTEMPTS or isinstance(exc, AttachmentMismatchError)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        status=OutgoingEmailStatus.FAILED if final else OutgoingEmailStatus.PENDING,
    )
    return final


def email_send(*, email_id: int) -> bool:
    """Send one pending e-mail (the retries of one the drain could not send, and messages queued before the
    drain existed). Returns False when there is nothing to do (sent already, or another worker holds it
    right now); raises the transport's error after recording it, so the task retries. An attachment that cannot be
    read is retried like a transport error; one whose bytes do not match their digest fails the e-mail at once."""
    failure: Exception | None = None
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutgoingEmailStatus.PENDING)
            .first()
        )
        if email is None:
            return False
        try:
            _message(email, OutgoingEmailAttachment.objects.filter(email=email).order_by("position")).send()
        except Exception as exc:  # every transport error is recorded, then retried by the task
            failure = exc
            _failure_record(email, exc)
        else:
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=F("attempts") + 1, status=OutgoingEmailStatus.SENT, sent_at=timezone.now(), last_error=""
            )
    if failure is not None:
        raise failure
    return True


@dataclass(frozen=True)
class BatchSent:
    """What one batch did: rows taken (locked), sent, failed; ``interrupted`` when a transport error stopped it
    before its last e-mail, leaving the rest pending, untried."""

    taken: int
    sent: int
    failed: int
    interrupted: bool


def _batch_send(pending: QuerySet[OutgoingEmail], *, limit: int) -> BatchSent:
    """Send up to ``limit`` e-mails of ``pending`` (first tries) in one transaction that holds their row locks,
    over one mail connection. An e-mail whose attachment cannot be read or does not match its digest fails alone;
    a transport error fails the e-mail being sent and stops the batch (the server is likely down: the untried rest
    stays pending for the next drain, not each counted as failed). A failed e-mail is handed to its own retrying
    task after the commit. Sent rows are marked in one UPDATE; a crash before the commit leaves them pending, to
    be sent again (at least once)."""
    with transaction.atomic():
        emails = list(
            pending.select_for_update(skip_locked=True)
            .filter(status=OutgoingEmailStatus.PENDING, attempts=0)
            .order_by("created_at", "pk")[:limit]
        )
        if not emails:
            return BatchSent(taken=0, sent=0, failed=0, interrupted=False)
        attachments: dict[int, list[OutgoingEmailAttachment]] = defaultdict(list)
        for attachment in OutgoingEmailAttachment.objects.filter(email_id__in=[email.pk for email in emails]).order_by(
            "email_id", "position"
        ):
            attachments[attachment.email_id].append(attachment)
        sent: list[int] = []
        failed = 0
        interrupted = False
        connection = get_connection()
        try:
            for position, email in enumerate(emails, start=1):
                try:
                    message = _message(email, attachments[email.pk])
                except Exception as exc:  # unreadable or changed attachment: this e-mail only
                    failed += 1
                    if not _failure_record(email, exc):
                        enqueue_on_commit(SEND_TASK, email.pk, countdown=RETRY_COUNTDOWN)
                    continue
                try:
                    connection.open()  # a no-op while open; reconnects after a failure closed it
                    if connection.send_messages([message]) != 1:
                        raise RuntimeError("the mail backend accepted nothing")
                except Exception as exc:  # the transport's error: recorded, retried by the e-mail's task
                    failed += 1
                    if not _failure_record(email, exc):
                        enqueue_on_commit(SEND_TASK, email.pk, countdown=RETRY_COUNTDOWN)
                    interrupted = position < len(emails)  # e-mails of this batch left untried
                    break
                sent.append(email.pk)
        finally:
            try:
                connection.close()
            except Exception as exc:  # closing a broken connection must not undo what was sent
                logger.warning("email.close_failed: %s: %s", type(exc).__name__, exc)
        if sent:
            OutgoingEmail.objects.filter(pk__in=sent).update(
                attempts=F("attempts") + 1, status=OutgoingEmailStatus.SENT, sent_at=timezone.now(), last_error=""
            )
    return BatchSent(taken=len(emails), sent=len(sent), failed=failed, interrupted=interrupted)


def emails_send_pending(*, limit: int = SEND_BATCH) -> int:
    """The sending drain: send one batch of the e-mails on their first try, oldest first. Returns how many were
    sent. The drain's flag is cleared before the batch is read (``core.tasks.enqueue_drain``), so an e-mail
    committed after that read schedules a drain of its own. A full batch, or one a transport error stopped,
    schedules the next drain (after ``RETRY_COUNTDOWN`` seconds when the server failed)."""
    if limit < 1:
        raise ValueError(f"A batch sends at least one e-mail, not {limit!r}.")
    drain_flag_clear(SEND_PENDING_FLAG)
    batch = _batch_send(OutgoingEmail.objects.all(), limit=limit)
    if batch.interrupted:
        enqueue_drain_on_commit(
            SEND_PENDING_TASK, flag=SEND_PENDING_FLAG, ttl=SEND_PENDING_TTL, countdown=RETRY_COUNTDOWN
        )
    elif batch.taken == limit:
        enqueue_drain_on_commit(SEND_PENDING_TASK, flag=SEND_PENDING_FLAG, ttl=SEND_PENDING_TTL)
    return batch.sent


def emails_send(*, email_ids: Sequence[int]) -> int:
    """Send the given e-mails that are still on their first try, in batches (``SEND_BATCH``) over one connection
    each: what the notice drain does with the e-mails it just wrote, right after its commit, instead of another
    task. Rows another worker holds are skipped (it sends them). A transport error stops sending and leaves the rest
    to the sending drain, scheduled then. Returns how many were sent."""
    sent = 0
    for start in range(0, len(email_ids), SEND_BATCH):
        chunk = email_ids[start : start + SEND_BATCH]
        batch = _batch_send(OutgoingEmail.objects.filter(pk__in=chunk), limit=len(chunk))
        sent += batch.sent
        if batch.interrupted:
            enqueue_drain_on_commit(
                SEND_PENDING_TASK, flag=SEND_PENDING_FLAG, ttl=SEND_PENDING_TTL, countdown=RETRY_COUNTDOWN
            )
            break
    return sent


def emails_resend_stale(*, now: datetime | None = None) -> int:
    """Re-drive pending e-mails whose message was lost (invariant 9): one sending drain for those still on their
    first try (published whatever the flag says), the e-mail's own task for those being retried. Sending is
    idempotent per row. Returns how many were stale."""
    cutoff = (now or timezone.now()) - RESEND_AFTER
    stale = list(
        OutgoingEmail.objects.filter(status=OutgoingEmailStatus.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", "attempts")[:1000]
    )
    if any(attempts == 0 for _pk, attempts in stale):
        enqueue_on_commit(SEND_PENDING_TASK)
    for email_id, attempts in stale:
        if attempts:
            enqueue_on_commit(SEND_TASK, email_id)
    return len(stale)
