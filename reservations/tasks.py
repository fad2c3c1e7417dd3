"""Thin periodic tasks of reservations."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reservations.send_end_reminders")
def send_end_reminders_task() -> int:
    from reservations.notifications import send_end_reminders

    return send_end_reminders()
