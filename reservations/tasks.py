"""Thin periodic tasks of reservations."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reservations.notifications import (
    notice_write,
    notices_prune,
    notices_redrive,
    notices_write_pending,
    send_end_reminders,
)
from reservations.services import booking_keys_expire
from reservations.timeline import pool_changes_prune


@shared_task(name="reservations.send_end_reminders")
def send_end_reminders_task() -> int:
    return send_end_reminders()


@shared_task(name="reservations.expire_booking_keys")
def expire_booking_keys_task() -> int:
    return booking_keys_expire(now=timezone.now())


@shared_task(name="reservations.write_pending_notices")
def write_pending_notices_task() -> int:
    """The notice drain (``notices_write_pending``), scheduled debounced after each change that owes e-mails."""
    return notices_write_pending()


@shared_task(name="reservations.write_notice")
def write_notice_task(notice_id: int) -> bool:
    """One notice (the messages queued before the drain existed; nothing queues this task any more)."""
    return notice_write(notice_id=notice_id)


@shared_task(name="reservations.redrive_notices")
def redrive_notices_task() -> int:
    return notices_redrive()


@shared_task(name="reservations.prune_notices")
def prune_notices_task() -> int:
    return notices_prune(now=timezone.now())


@shared_task(name="reservations.prune_pool_changes")
def prune_pool_changes_task() -> int:
    return pool_changes_prune(now=timezone.now())
