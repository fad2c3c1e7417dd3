"""The organization's e-invoicing profile: its buyer reference (BT-10), Leitweg-ID and the e-invoice it receives."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.documents.models import BUYER_REFERENCE_MAX_LENGTH, LEITWEG_ID_MAX_LENGTH, BillingProfile, EInvoiceFormat
from billing.documents.terms import billing_profile_get, billing_profile_update
from portal.api.access import OrganizationScopedViewSet
from tenants.audit import Actor
from tenants.permissions import Action

PROFILE_EXAMPLE = {
    "buyer_reference": "PO-2026-17",
    "leitweg_id": "991-33333TEST-33",
    "e_invoice_format": "both",
    "billing_email": "ap@rheinwerk.example",
}


class BillingProfileSerializer(serializers.ModelSerializer[BillingProfile]):
    billing_email = serializers.EmailField(
        source="organization.billing_email",
        read_only=True,
        help_text="Where invoices are e-mailed; empty: to the organization's owners.",
    )

    class Meta:
        model = BillingProfile
        fields = ["buyer_reference", "leitweg_id", "e_invoice_format", "billing_email"]
        read_only_fields = fields


class BillingProfileInputSerializer(serializers.Serializer[BillingProfile]):
    buyer_reference = serializers.CharField(
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text=(
            "Your reference for our invoices (BT-10), e.g. a purchase order; "
            f"at most {BUYER_REFERENCE_MAX_LENGTH} characters."
        ),
    )
    leitweg_id = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=LEITWEG_ID_MAX_LENGTH,
        help_text="For public buyers: the Leitweg-ID (format and check digits are checked); it becomes BT-10.",
    )
    e_invoice_format = serializers.ChoiceField(
        choices=EInvoiceFormat.choices, help_text="Which e-invoice is e-mailed: facturx, xrechnung or both."
    )
    billing_email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="Where invoices are e-mailed; empty: to the owners; omitted: unchanged.",
    )


class BillingProfileViewSet(OrganizationScopedViewSet):
    """Read (billing view) and replace (billing manage) the organization's e-invoicing profile."""

    serializer_class = BillingProfileSerializer
    required_actions = {"retrieve": Action.BILLING_VIEW, "update": Action.BILLING_MANAGE}

    @extend_schema(
        summary="The organization's e-invoicing profile",
        examples=[OpenApiExample("A public buyer", value=PROFILE_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(BillingProfileSerializer(billing_profile_get(organization=self.organization)).data)

    @extend_schema(
        summary="Set the buyer reference, Leitweg-ID and e-invoice format",
        request=BillingProfileInputSerializer,
        responses=BillingProfileSerializer,
        examples=[OpenApiExample("A public buyer", value=PROFILE_EXAMPLE, request_only=True)],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = BillingProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            profile = billing_profile_update(
                actor=Actor.from_request(request), organization=self.organization, **data.validated_data
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(BillingProfileSerializer(profile).data)
