"""Thin periodic tasks of reservations."""

from __future__ import annotations

from celery import shared_task

from reservations.notifications import send_end_reminders


@shared_task(name="reservations.send_end_reminders")
def send_end_reminders_task() -> int:
    return send_end_reminders()
