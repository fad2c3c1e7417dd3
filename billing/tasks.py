"""Thin billing tasks: each periodic run calls one service, which decides what is due."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from billing.services import invoices_draft_due, invoices_finalize_due


@shared_task(name="billing.draft_invoices")
def draft_invoices_task() -> dict[str, int]:
    return asdict(invoices_draft_due(now=timezone.now()))


@shared_task(name="billing.finalize_invoices")
def finalize_invoices_task() -> dict[str, int]:
    return asdict(invoices_finalize_due(now=timezone.now()))
