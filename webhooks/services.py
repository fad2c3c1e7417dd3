"""Every write of the webhooks app: endpoints, the outbox rows of domain events, delivery attempts, the sweeper."""

from __future__ import annotations

import base64
import json
import random
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from core.events import Event
from core.secrets import decrypt_secret, encrypt_secret
from core.tasks import enqueue_on_commit
from tenants.audit import Actor, audit_record
from tenants.models import Organization
from tenants.notifications import notify_owners
from webhooks.choices import DeliveryStatus, EndpointStatus
from webhooks.event_types import EVENT_TYPES, PAYLOAD_VERSION, TEST_EVENT, webhook_event_type
from webhooks.models import SubjectSequence, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.payloads import subject_representation
from webhooks.selectors import live_endpoint_event_types, live_endpoints_answer
from webhooks.transport import post
from webhooks.urls import validate_webhook_url, webhook_target

DELIVER_TASK = "webhooks.deliver"
MAX_ENDPOINTS = 16
# Attempts go on for 72 hours, with exponential back-off (5 s, 10 s, 20 s ... at most 6 h) and full jitter.
RETRY_WINDOW = timedelta(hours=72)
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 6 * 3600.0
# An endpoint that keeps failing this long after its first given-up delivery is disabled.
DISABLE_AFTER = timedelta(days=5)
# The old secret keeps signing this long after a rotation, so receivers can switch without losing events.
ROTATION_OVERLAP = timedelta(hours=24)
# A pending delivery due this long ago whose task message was lost is re-driven by the sweeper.
REDRIVE_AFTER = timedelta(minutes=2)
# A delivery task also takes up to this many other due deliveries (one claim, one insert, one update for all).
DELIVERY_BATCH = 20
MAX_PARALLEL_ENDPOINTS = 8
DELIVERY_RESULT_FIELDS = [
    "attempts",
    "last_attempt_at",
    "response_status",
    "latency_ms",
    "last_error",
    "status",
    "delivered_at",
    "next_attempt_at",
]


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _validate_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError(
            {
                "event_types": [
                    ValidationError(
                        _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}, code="unknown_event_type"
                    )
                ]
            }
        )
    if not event_types:
        raise ValidationError({"event_types": [ValidationError(_("Choose at least one event type."), code="required")]})
    return [event_type for event_type in EVENT_TYPES if event_type in event_types]


def _audit(actor: Actor, action: str, endpoint: WebhookEndpoint, data: dict[str, Any] | None = None) -> None:
    audit_record(actor=actor, action=action, target=endpoint, organization=endpoint.organization, data=data or {})


def endpoint_create(
    *, actor: Actor, organization: Organization, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it with its signing secret, which exists in clear only in this answer."""
    validate_webhook_url(url)
    types = _validate_event_types(event_types)
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)  # serializes the count below
        if WebhookEndpoint.objects.for_organization(organization).count() >= MAX_ENDPOINTS:
            raise ValidationError(
                _("An organization can have at most %(count)d webhook endpoints.") % {"count": MAX_ENDPOINTS},
                code="too_many_endpoints",
            )
        secret = _new_secret()
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            description=description,
            event_types=types,
            secret=encrypt_secret(secret),
        )
        _audit(actor, "webhook_endpoint.created", endpoint, {"url": url, "event_types": types})
    return endpoint, secret


def _locked(organization: Organization, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.for_organization(organization).select_for_update().get(pk=endpoint.pk)


def endpoint_update(
    *,
    actor: Actor,
    organization: Organization,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Enabling a disabled or failing endpoint gives it a fresh start."""
    if url is not None:
        validate_webhook_url(url)
    types = _validate_event_types(event_types) if event_types is not None else None
    with transaction.atomic():
        locked = _locked(organization, endpoint)
        changes: dict[str, Any] = {}
        if url is not None and url != locked.url:
            changes["url"] = locked.url = url
        if types is not None and types != locked.event_types:
            changes["event_types"] = locked.event_types = types
        if description is not None and description != locked.description:
            changes["description"] = locked.description = description
        if enabled is True and locked.status != EndpointStatus.ENABLED:
            locked.status, locked.failing_since = EndpointStatus.ENABLED, None
            changes["status"] = EndpointStatus.ENABLED
        elif enabled is False and locked.status != EndpointStatus.DISABLED:
            locked.status = EndpointStatus.DISABLED
            changes["status"] = EndpointStatus.DISABLED
        if changes:
            locked.save()
            _audit(actor, "webhook_endpoint.updated", locked, changes)
    return locked


def endpoint_delete(*, actor: Actor, organization: Organization, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        locked = _locked(organization, endpoint)
        _audit(actor, "webhook_endpoint.deleted", locked, {"url": locked.url})
        locked.delete()


def endpoint_rotate_secret(
    *, actor: Actor, organization: Organization, endpoint: WebhookEndpoint, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, shown once. The current one keeps signing too (both signatures are sent) for
    ``ROTATION_OVERLAP``, so a receiver verifying with either secret accepts every event meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(organization, endpoint)
        secret = _new_secret()
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + ROTATION_OVERLAP
        locked.secret = encrypt_secret(secret)
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        _audit(
            actor, "webhook_endpoint.secret_rotated", locked, {"overlap_until": (now + ROTATION_OVERLAP).isoformat()}
        )
    return locked, secret


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during the overlap."""
    live = [decrypt_secret(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        live.append(decrypt_secret(endpoint.previous_secret))
    return live


# --- The outbox ---------------------------------------------------------------------------------------------------


def _next_sequence(organization: Organization, subject: str) -> int:
    sequence, _created = SubjectSequence.objects.for_organization(organization).get_or_create(
        organization=organization, subject=subject
    )
    SubjectSequence.objects.for_organization(organization).filter(pk=sequence.pk).update(last=F("last") + 1)
    return int(
        SubjectSequence.objects.for_organization(organization).values_list("last", flat=True).get(pk=sequence.pk)
    )


def _payload(
    *, event_type: str, organization: Organization, subject: str, sequence: int, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "event_id": f"evt_{uuid.uuid4().hex}",
        "timestamp": now.isoformat(),
        "organization": organization.slug,
        "subject": subject,
        "sequence": sequence,
        "data": data,
    }


def _delivery(endpoint: WebhookEndpoint, event_type: str, payload: dict[str, Any], now: datetime) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        organization=endpoint.organization,
        endpoint=endpoint,
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        payload=payload,
        next_attempt_at=now,
        give_up_at=now + RETRY_WINDOW,
    )
    enqueue_on_commit(DELIVER_TASK, delivery.pk)
    return delivery


def deliveries_record_many(events: list[Event]) -> list[WebhookDelivery]:
    """``deliveries_record`` for many events: one query finds the organizations among them with an endpoint that
    is not disabled; only their events are recorded (one by one, as ever)."""
    wanted = [event for event in events if webhook_event_type(event.name) is not None]
    if not wanted:
        return []
    with_endpoints = {
        organization_id
        for organization_id, _pk, _types in live_endpoint_event_types(
            organization_ids={event.organization_id for event in wanted}
        )
    }
    return [
        delivery for event in wanted if event.organization_id in with_endpoints for delivery in deliveries_record(event)
    ]


def deliveries_wanted(events: list[Event]) -> bool:
    """Whether ``deliveries_record`` would write any outbox row for these events now: one query for all (two
    columns of the endpoints of their organizations), none when partners never see them. ``core.events``'
    ``publish_early`` asks it, so a booking of an organization without a subscribed endpoint publishes its events
    before it takes the pool lock."""
    return _deliveries_wanted(events, None)


def deliveries_wanted_from(events: list[Event], rows: list[tuple[Any, ...]]) -> bool:
    """``deliveries_wanted`` for events of one organization, from the rows of ``live_endpoints_statement`` for it
    (read ahead by a caller that sent it with its own statements: ``core.events.early_reads``)."""
    return _deliveries_wanted(events, live_endpoints_answer(rows))


def _deliveries_wanted(events: list[Event], endpoints: list[tuple[int, int, list[str]]] | None) -> bool:
    types_by_organization: dict[int, set[str]] = {}
    for event in events:
        event_type = webhook_event_type(event.name)
        if event_type is not None:
            types_by_organization.setdefault(event.organization_id, set()).add(event_type)
    if not types_by_organization:
        return False
    if endpoints is None:
        endpoints = live_endpoint_event_types(organization_ids=types_by_organization.keys())
    return any(
        types_by_organization[organization_id].intersection(types)
        for organization_id, _pk, types in endpoints
        if organization_id in types_by_organization
    )


def deliveries_record(event: Event) -> list[WebhookDelivery]:
    """Write one outbox row per subscribed endpoint for a domain event, in the event's transaction."""
    event_type = webhook_event_type(event.name)
    if event_type is None:
        return []
    # One small query for every event of the platform, most of whose organizations have no endpoint (a booking
    # publishes two events): compiled once per process, no model loaded. The event names its organization, so the
    # scope is explicit here. Only the subscribed endpoints are then loaded whole.
    subscribed = [
        pk
        for _organization_id, pk, types in live_endpoint_event_types(organization_ids=(event.organization_id,))
        if event_type in types
    ]
    if not subscribed:
        return []
    endpoints = list(
        WebhookEndpoint.objects.unscoped()
        .filter(pk__in=subscribed)
        .exclude(status=EndpointStatus.DISABLED)
        .select_related("organization")
        .order_by("pk")
    )
    if not endpoints:
        return []
    organization = endpoints[0].organization
    now = timezone.now()
    kind = event_type.split(".", 1)[0]
    subject = f"{kind}:{event.subject_id}" if event.subject_id is not None else f"organization:{organization.pk}"
    payload = _payload(
        event_type=event_type,
        organization=organization,
        subject=subject,
        sequence=_next_sequence(organization, subject),
        data=subject_representation(event, organization),
        now=now,
    )
    return [_delivery(endpoint, event_type, payload, now) for endpoint in endpoints]


def endpoint_send_test(*, actor: Actor, organization: Organization, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one endpoint, whatever it subscribes to."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(organization, endpoint)
        subject = f"webhook_endpoint:{locked.pk}"
        payload = _payload(
            event_type=TEST_EVENT,
            organization=organization,
            subject=subject,
            sequence=_next_sequence(organization, subject),
            data={"endpoint": locked.pk, "message": "This is a test event from Kontor."},
            now=now,
        )
        delivery = _delivery(locked, TEST_EVENT, payload, now)
        _audit(actor, "webhook_endpoint.test_sent", locked, {"message_id": delivery.message_id})
    return delivery


def delivery_resend(*, actor: Actor, organization: Organization, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same ``webhook-id`` and payload, and a fresh 72-hour window."""
    now = timezone.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.for_organization(organization).select_for_update().get(pk=delivery.pk)
        locked.status = DeliveryStatus.PENDING
        locked.next_attempt_at = now
        locked.give_up_at = now + RETRY_WINDOW
        locked.save(update_fields=["status", "next_attempt_at", "give_up_at"])
        audit_record(
            actor=actor,
            action="webhook_delivery.resent",
            target=locked,
            organization=organization,
            data={"message_id": locked.message_id},
        )
        enqueue_on_commit(DELIVER_TASK, locked.pk)
    return locked


# --- Delivering ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    """What ``delivery_attempt`` did: ``sent`` is False when there was nothing to do (delivered already, not due,
    or another worker holds the row); ``retry_in`` is the countdown of the next attempt, if any."""

    sent: bool
    delivered: bool = False
    retry_in: float | None = None


def backoff_seconds(attempt: int) -> float:
    """The wait before attempt ``attempt + 1``: exponential with full jitter, at most ``BACKOFF_MAX_SECONDS``."""
    ceiling = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311  # jitter, not cryptography


def signed_request(delivery: WebhookDelivery, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":"))
    signatures = [
        Webhook(secret).sign(delivery.message_id, now, body) for secret in signing_secrets(delivery.endpoint, now=now)
    ]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kontor-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
    return body.encode(), headers


def _post(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str, str]:
    """One HTTP request: (status code or None, error, start of the response body). The URL is checked again
    (DNS may point elsewhere since the endpoint was saved) and the request goes to exactly the address checked."""
    try:
        target = webhook_target(delivery.endpoint.url)
    except ValidationError as exc:
        return None, "refused: " + " ".join(exc.messages), ""
    body, headers = signed_request(delivery, now=now)
    result = post(target, body, headers, timeout=settings.KONTOR_WEBHOOKS_TIMEOUT_SECONDS)
    return result.status, result.error, result.body


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> AttemptOutcome:
    """Attempt one pending, due delivery, holding its row (``SKIP LOCKED``) so two workers never send it twice."""
    return deliveries_attempt(delivery_id=delivery_id, now=now, batch=1).get(delivery_id, AttemptOutcome(sent=False))


def _claim(delivery_id: int, now: datetime, batch: int) -> list[WebhookDelivery]:
    """Lock the named pending row and, with ``batch`` > 1, other due pending rows (oldest first), skipping rows
    another worker holds: one query for the whole batch."""
    rows = (
        WebhookDelivery.objects.unscoped()
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint", "endpoint__organization")
        .filter(status=DeliveryStatus.PENDING)
    )
    if batch == 1:
        return list(rows.filter(pk=delivery_id))
    return list(
        rows.filter(Q(pk=delivery_id) | Q(next_attempt_at__lte=now)).order_by(
            Case(When(pk=delivery_id, then=Value(0)), default=Value(1)), "next_attempt_at", "pk"
        )[:batch]
    )


def _send_all(deliveries: list[WebhookDelivery], now: datetime) -> dict[int, tuple[int | None, str, str, int]]:
    """POST each delivery: one endpoint's deliveries one after another (in the order claimed), different
    endpoints side by side. Returns (status, error, body, latency in ms) per delivery ID."""
    by_endpoint: dict[int, list[WebhookDelivery]] = {}
    for delivery in deliveries:
        by_endpoint.setdefault(delivery.endpoint_id, []).append(delivery)

    def send(group: list[WebhookDelivery]) -> dict[int, tuple[int | None, str, str, int]]:
        results = {}
        for delivery in group:
            started = time.monotonic()
            status_code, error, body = _post(delivery, now)
            results[delivery.pk] = (status_code, error, body, round((time.monotonic() - started) * 1000))
        return results

    groups = list(by_endpoint.values())
    if len(groups) == 1:
        return send(groups[0])
    sent: dict[int, tuple[int | None, str, str, int]] = {}
    with ThreadPoolExecutor(max_workers=min(len(groups), MAX_PARALLEL_ENDPOINTS)) as pool:
        for results in pool.map(send, groups):
            sent |= results
    return sent


def deliveries_attempt(
    *, delivery_id: int, now: datetime | None = None, batch: int = DELIVERY_BATCH
) -> dict[int, AttemptOutcome]:
    """Attempt the named delivery and up to ``batch - 1`` other due ones in one transaction: one query claims
    them, one writes their attempt rows, one updates them. Under a backlog a worker thus delivers many events per
    round trip to the database; the messages of rows delivered this way find nothing to do."""
    outcomes: dict[int, AttemptOutcome] = {}
    with transaction.atomic():
        now = now or timezone.now()
        due: list[WebhookDelivery] = []
        for delivery in _claim(delivery_id, now, batch):
            if delivery.next_attempt_at and delivery.next_attempt_at > now:
                outcomes[delivery.pk] = AttemptOutcome(
                    sent=False, retry_in=(delivery.next_attempt_at - now).total_seconds()
                )
            elif delivery.endpoint.status == EndpointStatus.DISABLED:
                WebhookDelivery.objects.unscoped().filter(pk=delivery.pk).update(
                    status=DeliveryStatus.FAILED, last_error="endpoint disabled"
                )
                outcomes[delivery.pk] = AttemptOutcome(sent=False)
            else:
                due.append(delivery)
        if not due:
            return outcomes
        sent = _send_all(due, now)
        attempts = []
        for delivery in due:
            status_code, error, response_body, latency_ms = sent[delivery.pk]
            number = delivery.attempts + 1
            attempts.append(
                WebhookAttempt(
                    organization_id=delivery.organization_id,
                    delivery=delivery,
                    number=number,
                    attempted_at=now,
                    response_status=status_code,
                    latency_ms=latency_ms,
                    error=error,
                    response_body=response_body,
                )
            )
            delivery.attempts, delivery.last_attempt_at = number, now
            delivery.response_status, delivery.latency_ms, delivery.last_error = status_code, latency_ms, error
            endpoint = delivery.endpoint
            if not error:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
                outcomes[delivery.pk] = AttemptOutcome(sent=True, delivered=True)
                if endpoint.status == EndpointStatus.FAILING:
                    WebhookEndpoint.objects.unscoped().filter(pk=endpoint.pk, status=EndpointStatus.FAILING).update(
                        status=EndpointStatus.ENABLED, failing_since=None
                    )
                    endpoint.status = EndpointStatus.ENABLED
                continue
            wait = backoff_seconds(number)
            if now + timedelta(seconds=wait) >= delivery.give_up_at:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
                _endpoint_failing(endpoint, now=now)
                outcomes[delivery.pk] = AttemptOutcome(sent=True)
            else:
                delivery.next_attempt_at = now + timedelta(seconds=wait)
                outcomes[delivery.pk] = AttemptOutcome(sent=True, retry_in=wait)
        WebhookAttempt.objects.bulk_create(attempts)
        WebhookDelivery.objects.unscoped().bulk_update(due, DELIVERY_RESULT_FIELDS)
    return outcomes


def _endpoint_failing(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """A delivery gave up: the endpoint is marked failing (owners e-mailed once), or disabled after 5 days."""
    locked = WebhookEndpoint.objects.unscoped().select_for_update().get(pk=endpoint.pk)
    actor = Actor.system("webhooks")
    if locked.status == EndpointStatus.ENABLED:
        locked.status, locked.failing_since = EndpointStatus.FAILING, now
        locked.save(update_fields=["status", "failing_since", "updated_at"])
        _audit(actor, "webhook_endpoint.failing", locked, {"url": locked.url})
        notify_owners(locked.organization, "webhook_failing", {"endpoint": locked})
    elif (
        locked.status == EndpointStatus.FAILING and locked.failing_since and now - locked.failing_since >= DISABLE_AFTER
    ):
        _endpoint_disable(locked)


def _endpoint_disable(locked: WebhookEndpoint) -> None:
    locked.status = EndpointStatus.DISABLED
    locked.save(update_fields=["status", "updated_at"])
    _audit(Actor.system("webhooks"), "webhook_endpoint.disabled", locked, {"url": locked.url})
    notify_owners(locked.organization, "webhook_disabled", {"endpoint": locked})


def deliveries_redrive(*, now: datetime | None = None, limit: int = 1000) -> int:
    """The sweeper: re-drive pending deliveries overdue by ``REDRIVE_AFTER`` (their message was lost, invariant 9)
    and disable endpoints failing for ``DISABLE_AFTER``. Attempting is idempotent per row, so a re-drive of a
    delivery whose message was only late does no harm."""
    now = now or timezone.now()
    overdue = list(
        WebhookDelivery.objects.unscoped()
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=now - REDRIVE_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in overdue:
        enqueue_on_commit(DELIVER_TASK, delivery_id)
    with transaction.atomic():
        for endpoint in (
            WebhookEndpoint.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(status=EndpointStatus.FAILING, failing_since__lte=now - DISABLE_AFTER)
        ):
            _endpoint_disable(endpoint)
    return len(overdue)
