"""Thin tasks of the webhooks app: load by ID, call one service. Each is safe to run twice, also concurrently."""

from __future__ import annotations

from celery import shared_task

from webhooks.services import DELIVER_TASK, deliveries_attempt, deliveries_redrive


@shared_task(name=DELIVER_TASK)
def deliver_task(delivery_id: int) -> bool:
    """Deliver this delivery and, in the same round trips, other due ones (``deliveries_attempt``)."""
    named = deliveries_attempt(delivery_id=delivery_id).get(delivery_id)
    if named is None:
        return False
    if named.retry_in is not None:
        # Never sleep in a worker: the next attempt is a message with a countdown (and the sweeper's net). Only the
        # named row's: every other row of the batch has its own message, which finds the row delivered, or not due
        # and then schedules its retry, so each row keeps exactly one message.
        deliver_task.apply_async(args=(delivery_id,), countdown=named.retry_in)
    return named.delivered


@shared_task(name="webhooks.redrive_deliveries")
def redrive_deliveries_task() -> int:
    return deliveries_redrive()
