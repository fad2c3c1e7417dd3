"""Sign-up, legal documents and consents, and the operators' approval queue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.http import client_ip
from portal.api.access import OperatorViewSet, OrganizationScopedViewSet, PublicAPIView
from portal.api.throttles import SignupDomainThrottle, SignupIPThrottle
from provisioning.organizations import organization_activation_retry
from tenants.api.serializers import OrganizationSerializer
from tenants.audit import Actor
from tenants.models import LegalDocument, Organization, User, VatCheck
from tenants.permissions import Action
from tenants.selectors import organization_approval_queue, organization_possible_duplicates
from tenants.services import (
    SignupData,
    consent_accept,
    consents_missing,
    legal_documents_in_force,
    organization_approve,
    organization_reject,
    signup_register,
)


class SignupSerializer(serializers.Serializer[Any]):
    legal_name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2; EU, EEA or CH.")
    street = serializers.CharField(max_length=200)
    postal_code = serializers.CharField(max_length=16)
    city = serializers.CharField(max_length=100)
    vat_id = serializers.CharField(max_length=32)
    billing_email = serializers.EmailField()
    email = serializers.EmailField(help_text="The first user, who becomes the owner.")
    full_name = serializers.CharField(max_length=200)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    language = serializers.ChoiceField(choices=["en", "de"], default="en")
    accept_terms = serializers.BooleanField(
        help_text="Accepts the Terms of Service, the Data Processing Agreement and the Privacy Notice in force."
    )


SIGNUP_NEXT_STEP = gettext_noop(
    "Check your e-mail: we sent the next step to the address given. Confirm it with the link; we then review the "
    "sign-up."
)


class SignupResultSerializer(serializers.Serializer[Any]):
    """The one answer to every valid sign-up, new or known: nothing in it tells which."""

    next_step = serializers.CharField()


SIGNUP_EXAMPLE = OpenApiExample(
    "A German company",
    request_only=True,
    value={
        "legal_name": "Rheinwerk Robotics GmbH",
        "country": "DE",
        "street": "Werkstraße 1",
        "postal_code": "50667",
        "city": "Köln",
        "vat_id": "DE136695976",
        "billing_email": "invoices@rheinwerk.example",
        "email": "jonas@rheinwerk.example",
        "full_name": "Jonas Weber",
        "password": "a long passphrase 2026",
        "language": "de",
        "accept_terms": True,
    },
)


class SignupView(PublicAPIView):
    throttle_classes = [SignupIPThrottle, SignupDomainThrottle]

    @extend_schema(
        request=SignupSerializer,
        responses={202: SignupResultSerializer},
        examples=[SIGNUP_EXAMPLE],
        summary="Sign a company up",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The same answer whether the company or the person is known already: only the e-mail tells.
        signup_register(
            data=SignupData(**serializer.validated_data),
            ip_address=client_ip(request),
            request=request._request,
        )
        return Response({"next_step": _(SIGNUP_NEXT_STEP)}, status=status.HTTP_202_ACCEPTED)


class LegalDocumentSerializer(serializers.ModelSerializer[LegalDocument]):
    class Meta:
        model = LegalDocument
        fields = ["id", "kind", "version", "title", "body", "effective_at"]
        read_only_fields = fields


class LegalDocumentsView(PublicAPIView):
    @extend_schema(responses=LegalDocumentSerializer(many=True), summary="Legal documents in force", auth=[])
    def get(self, request: Request) -> Response:
        return Response(LegalDocumentSerializer(legal_documents_in_force(), many=True).data)


class ConsentStatusSerializer(serializers.Serializer[Any]):
    missing = LegalDocumentSerializer(many=True)


class ConsentAcceptSerializer(serializers.Serializer[Any]):
    documents = serializers.PrimaryKeyRelatedField(many=True, queryset=LegalDocument.objects.all())


class ConsentViewSet(OrganizationScopedViewSet):
    """Which documents in force still need accepting for the organization, and accepting them."""

    serializer_class = ConsentStatusSerializer
    # "to_accept", not "list": the answer is one object ({"missing": [...]}), not a paginated list.
    required_actions = {"to_accept": Action.ORGANIZATION_VIEW, "create": Action.ORGANIZATION_UPDATE}

    @extend_schema(responses=ConsentStatusSerializer, summary="Documents still to accept")
    def to_accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        missing = consents_missing(organization=self.organization)
        return Response({"missing": LegalDocumentSerializer(missing, many=True).data})

    @extend_schema(
        request=ConsentAcceptSerializer, responses={200: ConsentStatusSerializer}, summary="Accept documents"
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ConsentAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied(_("Legal documents are accepted by a person, not an API key."))
        consent_accept(
            actor=Actor.from_request(request),
            organization=self.organization,
            user=user,
            documents=serializer.validated_data["documents"],
        )
        missing = consents_missing(organization=self.organization)
        return Response({"missing": LegalDocumentSerializer(missing, many=True).data})


class VatCheckSerializer(serializers.ModelSerializer[VatCheck]):
    class Meta:
        model = VatCheck
        fields = ["vat_id", "result", "checked_at", "registered_name", "registered_address", "error"]
        read_only_fields = fields


class ApprovalQueueSerializer(serializers.ModelSerializer[Organization]):
    vat_checks = VatCheckSerializer(many=True, read_only=True)
    owner_email_verified = serializers.BooleanField(read_only=True)
    possible_duplicates = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "slug",
            "legal_name",
            "country",
            "status",
            "status_reason",
            "vat_id",
            "vat_id_verified_at",
            "street",
            "postal_code",
            "city",
            "billing_email",
            "approval_rule",
            "cloud_project_id",
            "activation_error",
            "created_at",
            "vat_checks",
            "owner_email_verified",
            "possible_duplicates",
        ]
        read_only_fields = fields

    def get_possible_duplicates(self, organization: Organization) -> list[str]:
        return list(self.context["duplicates"].get(organization.pk, []))


class RejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class OperatorOrganizationViewSet(mixins.ListModelMixin, OperatorViewSet):
    """The approval queue and activation repairs, for cloud operators."""

    serializer_class = ApprovalQueueSerializer
    lookup_field = "slug"
    ordering = "-created_at"
    filterset_fields = ["status", "country"]
    error_codes = {
        "approve": {400: ["invalid_transition"]},
        "reject": {400: ["invalid_transition"]},
        "retry_activation": {400: ["invalid_transition"]},
    }

    def get_queryset(self) -> QuerySet[Organization]:
        return organization_approval_queue()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        context = {**self.get_serializer_context(), "duplicates": organization_possible_duplicates(page)}
        return self.get_paginated_response(ApprovalQueueSerializer(page, many=True, context=context).data)

    def _get(self, slug: str) -> Organization:
        return get_object_or_404(Organization, slug=slug)

    @extend_schema(request=None, responses=OrganizationSerializer, summary="Approve a sign-up")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, slug: str) -> Response:
        organization = organization_approve(actor=Actor.from_request(request), organization=self._get(slug))
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(request=RejectSerializer, responses=OrganizationSerializer, summary="Reject a sign-up")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, slug: str) -> Response:
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = organization_reject(
            actor=Actor.from_request(request),
            organization=self._get(slug),
            reason=serializer.validated_data["reason"],
        )
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(request=None, responses={202: None}, summary="Retry a failed activation")
    @action(detail=True, methods=["post"], url_path="retry-activation")
    def retry_activation(self, request: Request, slug: str) -> Response:
        organization_activation_retry(actor=Actor.from_request(request), organization=self._get(slug))
        return Response(status=status.HTTP_202_ACCEPTED)
