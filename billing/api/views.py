"""Invoices API: the organization's finalized invoices and credit notes, with their lines and stored files."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.serializers import InvoiceDetailSerializer, InvoiceSerializer
from billing.models import Invoice, InvoiceFileKind, InvoiceLine
from billing.web.files import invoice_file_get, invoice_file_response, invoices_with_files
from portal.api.access import OrganizationScopedViewSet
from tenants.permissions import Action

INVOICE_EXAMPLE = {
    "id": 42,
    "number": "KON-2026-000042",
    "kind": "380",
    "issued_at": "2026-11-05T09:00:00Z",
    "period_start": "2026-09-30T22:00:00Z",
    "period_end": "2026-10-31T23:00:00Z",
    "currency": "EUR",
    "net_amount": "7.50",
    "vat_amount": "1.43",
    "gross_amount": "8.93",
    "vat_category": "S",
    "vat_rate": "19.00",
    "vat_note": "",
    "credited_invoice": None,
    "credit_reason": "",
    "files": ["pdf", "xml", "xrechnung"],
}
NOT_RENDERED = OpenApiResponse(description="Another organization's document, or its file is not rendered yet.")


@extend_schema_view(
    list=extend_schema(
        summary="List the finalized invoices and credit notes",
        examples=[OpenApiExample("An invoice", value=INVOICE_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One invoice or credit note with its lines",
        examples=[
            OpenApiExample(
                "An invoice with its line",
                response_only=True,
                value={
                    **INVOICE_EXAMPLE,
                    "lines": [
                        {
                            "position": 1,
                            "description": "Committed GPU time, b200-x4, October 2026: 4 GPUs × 0.75 hours",
                            "meter": "committed_gpu_seconds",
                            "flavor_slug": "b200-x4",
                            "quantity": "3.000000",
                            "unit_price": "2.5000",
                            "net_amount": "7.50",
                            "service_start": "2026-10-05",
                            "service_end": "2026-10-05",
                            "vat_category": "S",
                            "vat_rate": "19.00",
                        }
                    ],
                },
            )
        ],
    ),
)
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    serializer_class = InvoiceSerializer
    required_actions = {
        "list": Action.BILLING_VIEW,
        "retrieve": Action.BILLING_VIEW,
        "pdf": Action.BILLING_VIEW,
        "xml": Action.BILLING_VIEW,
        "xrechnung": Action.BILLING_VIEW,
    }

    def get_serializer_class(self) -> type[InvoiceSerializer]:
        return InvoiceDetailSerializer if self.action == "retrieve" else InvoiceSerializer

    def get_scoped_queryset(self) -> QuerySet[Invoice]:
        invoices = invoices_with_files(organization=self.organization)
        if self.action == "retrieve":
            lines = InvoiceLine.objects.for_organization(self.organization).order_by("position")
            invoices = invoices.prefetch_related(Prefetch("lines", queryset=lines))
        return invoices

    def _download(self, pk: str, kind: InvoiceFileKind) -> HttpResponse:
        stored = invoice_file_get(organization=self.organization, invoice_id=int(pk), kind=kind)
        if stored is None:
            raise exceptions.NotFound()
        return invoice_file_response(stored)

    @extend_schema(
        summary="Download the Factur-X PDF (the XML is embedded)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: NOT_RENDERED},
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response | HttpResponse:
        return self._download(pk, InvoiceFileKind.PDF)

    @extend_schema(
        summary="Download the e-invoice XML (EN 16931, CII)",
        responses={(200, "application/xml"): OpenApiTypes.BINARY, 404: NOT_RENDERED},
    )
    @action(detail=True, methods=["get"])
    def xml(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response | HttpResponse:
        return self._download(pk, InvoiceFileKind.XML)

    @extend_schema(
        summary="Download the XRechnung 3.0 XML (CII, validated against the KoSIT schematron)",
        responses={(200, "application/xml"): OpenApiTypes.BINARY, 404: NOT_RENDERED},
    )
    @action(detail=True, methods=["get"])
    def xrechnung(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response | HttpResponse:
        return self._download(pk, InvoiceFileKind.XRECHNUNG)
