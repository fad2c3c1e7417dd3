"""Webhook signals for /metrics: deliveries by status, deliveries overdue (stuck) and endpoints failing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from webhooks.choices import DeliveryStatus, EndpointStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint

# The sweeper re-drives pending deliveries overdue by two minutes; one still overdue after ten is stuck.
STUCK_AFTER = timedelta(minutes=10)


def collect() -> Iterator[Metric]:
    by_status = dict(
        WebhookDelivery.objects.unscoped()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    deliveries = GaugeMetricFamily(
        "kontor_webhook_deliveries", "Webhook deliveries by status (failed: given up after 72 h).", labels=["status"]
    )
    for status in DeliveryStatus.values:
        deliveries.add_metric([status], by_status.get(status, 0))
    yield deliveries
    stuck = WebhookDelivery.objects.unscoped().filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=timezone.now() - STUCK_AFTER
    )
    yield GaugeMetricFamily(
        "kontor_webhook_deliveries_stuck",
        "Pending webhook deliveries whose next attempt is overdue by more than 10 minutes.",
        value=stuck.count(),
    )
    by_endpoint = dict(
        WebhookEndpoint.objects.unscoped()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    endpoints = GaugeMetricFamily("kontor_webhook_endpoints", "Webhook endpoints by status.", labels=["status"])
    for status in EndpointStatus.values:
        endpoints.add_metric([status], by_endpoint.get(status, 0))
    yield endpoints
