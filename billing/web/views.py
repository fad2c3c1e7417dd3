"""Portal pages for invoices: the organization's finalized invoices and credit notes, and their stored files."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.models import InvoiceFileKind
from billing.web.files import invoice_file_get, invoice_file_response, invoices_with_files
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view

INVOICES_PER_PAGE = 25


@require_GET
@organization_view(Action.BILLING_VIEW)
def invoice_list_page(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    page = Paginator(invoices_with_files(organization=access.organization), INVOICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/invoice_list.html",
        {"organization": access.organization, "page": page, "kinds": InvoiceFileKind},
    )


@require_GET
@organization_view(Action.BILLING_VIEW)
def invoice_file_download(request: HttpRequest, access: OrganizationAccess, invoice_id: int, kind: str) -> HttpResponse:
    """The stored PDF or XML; another organization's document, or one not rendered yet, is a 404."""
    if kind not in InvoiceFileKind.values:
        raise Http404
    stored = invoice_file_get(organization=access.organization, invoice_id=invoice_id, kind=InvoiceFileKind(kind))
    if stored is None:
        raise Http404
    return invoice_file_response(stored)
