"""Domain events of an organization's billing (``budget.threshold_reached``). Handlers run after the transaction
commits; e-mail is sent by the services themselves today, webhooks subscribe here later.

Each handler receives the event name, the organization ID and a small payload of strings, never a model instance.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[str, int, dict[str, str]], None]
HANDLERS: list[Handler] = []


def subscribe(handler: Handler) -> Handler:
    HANDLERS.append(handler)
    return handler


def publish(event: str, organization_id: int, payload: dict[str, str]) -> None:
    data = dict(payload)
    for handler in list(HANDLERS):
        transaction.on_commit(lambda handler=handler: handler(event, organization_id, data))  # type: ignore[misc]
