"""Webhook endpoints of an organization and the durable outbox of their deliveries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import Organization
from tenants.scoping import TenantOwnedModel
from webhooks.choices import DeliveryStatus, EndpointStatus


class WebhookEndpoint(TenantOwnedModel):
    """A URL of an organization that receives signed events.

    Invariants: the URL was checked by ``webhooks.urls.validate_webhook_url`` when it was set (HTTPS, no
    credentials, at most 2,048 characters, not resolving to a private, loopback or link-local address) and is
    checked again before every delivery; at most ``MAX_ENDPOINTS`` per organization (counted under the
    organization's row lock); the signing secrets are stored encrypted (``core.secrets``) and shown once;
    ``previous_secret`` still signs until ``previous_secret_expires_at`` (rotation overlap). ``status`` changes
    only through ``webhooks.services``: ``failing`` once a delivery gave up, ``disabled`` after failing 5 days.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(_("URL"), max_length=2048)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED
    )
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    secret = models.TextField()
    previous_secret = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EndpointStatus.values), name="webhooks_endpoint_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class SubjectSequence(TenantOwnedModel):
    """The last sequence number given to an event about one subject (``reservation:42``): receivers order the
    events of a subject by ``sequence``, since deliveries may arrive out of order. Invariant: incremented under the
    row's lock, so numbers of a subject are 1, 2, 3... without repetition."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=100)
    last = models.PositiveBigIntegerField(default=0)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "subject"], name="webhooks_sequence_unique"),
        ]


class WebhookDelivery(TenantOwnedModel):
    """One event for one endpoint: the outbox row, written in the transaction of the change it reports.

    Invariants: ``message_id`` (the ``webhook-id`` header) is unique and stays the same on every attempt and on
    a resend, so receivers deduplicate by it; ``payload`` never changes; it leaves ``pending`` once, to
    ``delivered`` or (after 72 hours of attempts) ``failed``; a resend puts it back to ``pending``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhooks_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookAttempt(TenantOwnedModel):
    """One HTTP request of a delivery, as the delivery log shows it: when, the response code (none when the
    connection failed), the latency and the error. Append-only."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    response_status = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_unique"),
        ]
