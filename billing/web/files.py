"""Reads and responses shared by the invoice pages and the invoice API: always through one organization."""

from __future__ import annotations

import hashlib

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse

from billing.invoices.selectors import invoice_list
from billing.models import INVOICE_FILE_SUFFIXES, Invoice, InvoiceFile, InvoiceFileKind
from tenants.models import Organization


def invoices_with_files(*, organization: Organization) -> QuerySet[Invoice]:
    """The organization's finalized documents with their stored files prefetched (two queries per page)."""
    return invoice_list(organization=organization).prefetch_related(
        Prefetch("files", queryset=InvoiceFile.objects.for_organization(organization).order_by("kind"))
    )


def invoice_file_get(*, organization: Organization, invoice_id: int, kind: InvoiceFileKind) -> InvoiceFile | None:
    return (
        InvoiceFile.objects.for_organization(organization)
        .select_related("invoice")
        .filter(invoice_id=invoice_id, kind=kind, invoice__organization=organization)
        .first()
    )


class InvoiceFileCorruptError(Exception):
    """The archived bytes do not match the SHA-256 recorded when the document was issued: never served."""


def invoice_file_response(stored: InvoiceFile) -> HttpResponse:
    """The stored bytes as a download (a document is a few hundred kilobytes at most), checked against its SHA-256."""
    with stored.file.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != stored.sha256:
        raise InvoiceFileCorruptError(f"{stored.file.name}: the archived bytes do not match the recorded SHA-256")
    response = HttpResponse(content, content_type=stored.content_type)
    suffix = INVOICE_FILE_SUFFIXES[InvoiceFileKind(stored.kind)]
    response["Content-Disposition"] = f'attachment; filename="{stored.invoice.number}.{suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
