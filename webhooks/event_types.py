"""The event types a webhook endpoint can subscribe to, and how domain events map onto them.

Payloads are versioned: ``PAYLOAD_VERSION`` is in every payload (``"version"``) and changes only with an
incompatible change; fields are only ever added within a version.
"""

from __future__ import annotations

PAYLOAD_VERSION = "2026-12-01"

RESERVATION_EVENTS = tuple(
    f"reservation.{what}"
    for what in ("created", "scheduled", "provisioning", "active", "ending", "ended", "cancelled", "failed", "extended")
)
INSTANCE_EVENTS = ("instance.running", "instance.stopped", "instance.rebooted")
EVENT_TYPES: tuple[str, ...] = (
    *RESERVATION_EVENTS,
    *INSTANCE_EVENTS,
    "invoice.finalized",
    "credit_note.issued",
    "budget.threshold_reached",
    "quota_request.decided",
    "organization.status_changed",
)
# Sent only on request ("send a test event"), to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"

ORGANIZATION_PREFIX = "organization."


def webhook_event_type(domain_event: str) -> str | None:
    """The webhook event type a domain event is delivered as, or None when partners never see it."""
    if domain_event.startswith(ORGANIZATION_PREFIX):
        return "organization.status_changed"
    return domain_event if domain_event in EVENT_TYPES else None
