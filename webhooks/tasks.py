"""Thin tasks of the webhooks app: load by ID, call one service. Each is safe to run twice, also concurrently."""

from __future__ import annotations

from celery import shared_task

from webhooks.services import DELIVER_TASK, deliveries_redrive, delivery_attempt


@shared_task(name=DELIVER_TASK)
def deliver_task(delivery_id: int) -> bool:
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        # Never sleep in a worker: the next attempt is a message with a countdown (and the sweeper's safety net).
        deliver_task.apply_async(args=(delivery_id,), countdown=outcome.retry_in)
    return outcome.delivered


@shared_task(name="webhooks.redrive_deliveries")
def redrive_deliveries_task() -> int:
    return deliveries_redrive()
