"""Verify the Standard Webhooks signature of an event Kontor sent (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), and return its payload.

    event = verify_webhook(request.body, request.headers, secret="whsec_...")

During a secret rotation Kontor signs with the old and the new secret; a receiver that already holds the new one
passes both (``secret=[new, old]``) and accepts either until the overlap ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kontor_client.errors import KontorError

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class InvalidWebhook(KontorError):
    """The signature does not match any secret, the timestamp is more than 5 minutes off, or a header is missing."""


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str | Sequence[str]) -> dict[str, Any]:
    """The event's payload, if its signature verifies with (one of) ``secret``; else ``InvalidWebhook``. Header
    names are matched case-insensitively. Deduplicate by ``headers["webhook-id"]``: a retried event keeps it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in HEADERS if name not in lowered]
    if missing:
        raise InvalidWebhook(f"missing headers: {', '.join(missing)}")
    payload = body.decode("utf-8") if isinstance(body, bytes) else body
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise InvalidWebhook("no secret given")
    for candidate in secrets:
        try:
            verified = Webhook(candidate).verify(payload, lowered)
        except WebhookVerificationError:
            continue
        if not isinstance(verified, dict):
            raise InvalidWebhook("the payload is not a JSON object")
        return verified
    raise InvalidWebhook("no signature matches the secret")
