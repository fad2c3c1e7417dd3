"""Reads of the webhooks app, always for one organization."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Organization
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_organization(organization).order_by("created_at", "pk")


def delivery_list(*, organization: Organization, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.for_organization(organization)
        .filter(endpoint=endpoint)
        .select_related("endpoint")
        .order_by("-created_at", "-pk")
    )


def attempt_list(*, organization: Organization, delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.for_organization(organization).filter(delivery=delivery).order_by("number")
