"""Thin billing tasks: each loads by ID (or finds its work in the database) and calls one service."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from billing.budgets.services import budgets_check_all
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
    """After finalization: store the document's validated XML and Factur-X PDF (see ``invoice_files_render``)."""
    return [file.kind for file in invoice_files_render(invoice_id=invoice_id)]


@shared_task(name="billing.check_budgets")
def check_budgets_task() -> dict[str, int]:
    return asdict(budgets_check_all(now=timezone.now()))


@shared_task(name="billing.render_missing_documents")
def render_missing_documents_task() -> int:
    return invoices_render_missing(now=timezone.now())
