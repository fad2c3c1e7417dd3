"""Thin metering tasks: the periodic run calls one service."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from metering.services import metering_run


@shared_task(name="metering.run")
def metering_run_task() -> dict[str, int]:
    return asdict(metering_run(now=timezone.now()))
