"""Domain events of reservations. Handlers run after the transaction commits; e-mail today, webhooks later.

Each handler receives the event name and the reservation ID, never a model instance.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[str, int], None]
HANDLERS: list[Handler] = []


def subscribe(handler: Handler) -> Handler:
    HANDLERS.append(handler)
    return handler


def publish(event: str, reservation_id: int) -> None:
    for handler in list(HANDLERS):
        transaction.on_commit(lambda handler=handler: handler(event, reservation_id))  # type: ignore[misc]
