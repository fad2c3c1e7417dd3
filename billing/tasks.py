"""Thin billing tasks: each loads by ID (or finds its work in the database) and calls one service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import Task, shared_task
from django.utils import timezone

from billing.budgets.services import budgets_check_all
from billing.documents.delivery import DeliveryError, invoice_email_send
from billing.invoices.rendering import invoice_files_render, invoices_render_missing
from billing.invoices.services import invoices_draft_due, invoices_finalize_due


@shared_task(name="billing.draft_invoices")
def draft_invoices_task() -> dict[str, int]:
    return asdict(invoices_draft_due(now=timezone.now()))


@shared_task(name="billing.finalize_invoices")
def finalize_invoices_task() -> dict[str, int]:
    return asdict(invoices_finalize_due(now=timezone.now()))


@shared_task(name="billing.render_invoice_documents")
def render_invoice_documents_task(invoice_id: int) -> list[str]:
    """After finalization: store the document's validated XMLs and Factur-X PDF (see ``invoice_files_render``)."""
    return [file.kind for file in invoice_files_render(invoice_id=invoice_id)]


@shared_task(
    bind=True,
    name="billing.send_invoice_email",
    autoretry_for=(DeliveryError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_invoice_email_task(self: Task[Any, Any], invoice_id: int) -> bool:
    """Put the document's e-mail to the organization's billing address into the outbox once (see
    ``invoice_email_send``), retried with backoff while its files are not stored yet; the outbox task retries SMTP
    failures."""
    return invoice_email_send(invoice_id=invoice_id) is not None


@shared_task(name="billing.check_budgets")
def check_budgets_task() -> dict[str, int]:
    return asdict(budgets_check_all(now=timezone.now()))


@shared_task(name="billing.render_missing_documents")
def render_missing_documents_task() -> int:
    return invoices_render_missing(now=timezone.now())
