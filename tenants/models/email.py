"""The e-mail outbox: every e-mail Kontor sends is a row first, written in the transaction that caused it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutgoingEmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(models.Model):
    """One e-mail to one address, rendered in the recipient's language when the change that caused it was made.

    Invariants: written in the transaction of that change (no e-mail without its change, no change that loses its
    e-mail); sent by the sending drain (``tenants.send_pending_emails``, or the notice drain for its own), a failure
    retried by the ``tenants.send_email`` task, never in a request; ``pending`` → ``sent`` or ``failed`` only, and a
    sent row has ``sent_at``. A sweeper re-drives pending rows whose message was lost.
    System data (mail to people who may not belong to an organization yet): operators read it in the console.
    """

    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    template = models.CharField(_("template"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutgoingEmailStatus.choices, default=OutgoingEmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outgoing_email_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=OutgoingEmailStatus.SENT) | Q(sent_at__isnull=False),
                name="outgoing_email_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class OutgoingEmailAttachment(models.Model):
    """A file attached to an outbox e-mail, by reference: which storage (an alias of ``settings.STORAGES``), which
    path in it, and the SHA-256 of the bytes that must be sent.

    Invariants: written with its e-mail (same transaction) and never changed; the bytes are not copied into the
    table — an invoice PDF is already archived write-once (``billing.archive``), a second copy in the database
    would double what GoBD retention keeps and could drift from the archived original. ``tenants.mail.email_send``
    opens the file when it sends (so every retry and the sweeper send the archived bytes) and refuses to send when
    the digest differs: the e-mail is marked failed rather than carrying other bytes than those referenced.
    """

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(_("position"))
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    storage = models.CharField(_("storage"), max_length=40)
    path = models.CharField(_("path"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")
        ordering = ["email", "position"]
        constraints = [
            models.UniqueConstraint(fields=["email", "position"], name="outgoing_email_attachment_position"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.storage}:{self.path})"
