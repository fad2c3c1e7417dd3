"""Reads of the webhooks app, always for the organizations they name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet

from core.prepared import PreparedQuery
from core.statements import Statement
from tenants.models import Organization
from webhooks.choices import EndpointStatus
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _live_endpoints(**organizations: Any) -> QuerySet[WebhookEndpoint, tuple[int, int, list[str]]]:
    """(organization ID, endpoint ID, event types) of the endpoints not disabled, of the organizations the lookup
    names (``organization_id=`` or ``organization_id__in=``)."""
    return (
        WebhookEndpoint.objects.unscoped()
        .filter(**organizations)
        .exclude(status=EndpointStatus.DISABLED)
        .values_list("organization_id", "pk", "event_types")
    )


# Every domain event looks up its organization's endpoints (most have none): the query compiled once per process.
_LIVE_ENDPOINTS_OF_ONE: PreparedQuery[tuple[int, int, list[str]]] = PreparedQuery(
    lambda organization_id: _live_endpoints(organization_id=organization_id), organization_id=int
)


def live_endpoint_event_types(*, organization_ids: Collection[int]) -> list[tuple[int, int, list[str]]]:
    """(organization ID, endpoint ID, event types) of every endpoint of these organizations that is not disabled,
    read now in one query, two small columns and no model (read for every domain event: one organization's is the
    query compiled once per process)."""
    if not organization_ids:
        return []
    if len(organization_ids) == 1:
        (organization_id,) = organization_ids
        return _LIVE_ENDPOINTS_OF_ONE(organization_id=organization_id)
    return list(_live_endpoints(organization_id__in=organization_ids))


def live_endpoints_statement(organization_id: int) -> Statement:
    """``live_endpoint_event_types`` of one organization as a statement to send with others in one round trip;
    ``live_endpoints_answer`` reads its rows."""
    return _LIVE_ENDPOINTS_OF_ONE.statement(prefix="webhook_endpoints", organization_id=organization_id)


def live_endpoints_answer(rows: list[Any]) -> list[tuple[int, int, list[str]]]:
    """The rows of ``live_endpoints_statement``'s run as ``live_endpoint_event_types`` answers them."""
    return _LIVE_ENDPOINTS_OF_ONE.answer(rows)


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
