"""Sending the e-mail outbox (``OutgoingEmail``): at least once, never twice at the same time, retried on failure.

Attachments are references to stored files (``OutgoingEmailAttachment``: storage alias, path, SHA-256), read from
the storage when the e-mail is sent, on every retry; a file whose bytes no longer match the digest is never sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import storages
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.tasks import enqueue_on_commit
from tenants.models import OutgoingEmail, OutgoingEmailAttachment, OutgoingEmailStatus

SEND_TASK = "tenants.send_email"
MAX_ATTEMPTS = 10
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
    """Write the e-mail in the current transaction; the task that sends it is queued once the transaction commits.

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
    enqueue_on_commit(SEND_TASK, email.pk)
    return email


def _attachment_bytes(attachment: OutgoingEmailAttachment) -> bytes:
    with storages[attachment.storage].open(attachment.path, "rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise AttachmentMismatchError(
            f"{attachment.storage}:{attachment.path} does not have the SHA-256 recorded with the e-mail."
        )
    return bytes(content)


def email_send(*, email_id: int) -> bool:
    """Send one pending e-mail. Returns False when there is nothing to do (sent already, or another worker holds it
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
        message = EmailMultiAlternatives(email.subject, email.body, None, [email.to])
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        try:
            for attachment in OutgoingEmailAttachment.objects.filter(email=email).order_by("position"):
                message.attach(attachment.filename, _attachment_bytes(attachment), attachment.content_type)
            message.send()
        except Exception as exc:  # every transport error is recorded, then retried by the task
            failure = exc
            final = email.attempts + 1 >= MAX_ATTEMPTS or isinstance(exc, AttachmentMismatchError)
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=F("attempts") + 1,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                status=OutgoingEmailStatus.FAILED if final else OutgoingEmailStatus.PENDING,
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
