"""Tenancy endpoints: the caller's account, organizations, members and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.access import AccountAccessMixin, AccountAPIView, OperatorViewSet, OrganizationScopedViewSet
from tenants.api.filters import AuditEventFilter, OperatorAuditEventFilter
from tenants.api.serializers import (
    AuditEventSerializer,
    MeSerializer,
    OrganizationSerializer,
)
from tenants.audit import Actor
from tenants.models import AuditEvent, Organization, User
from tenants.permissions import Action
from tenants.selectors import audit_event_list, organization_list_for_user
from tenants.services import organization_export, user_erase


class MeView(AccountAPIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in user and their organizations")
    def get(self, request: Request) -> Response:
        user = request.user
        if not isinstance(user, User):  # an API key acts for its organization, not for a person
            raise PermissionDenied(_("API keys have no user account; use /api/v1/organizations/<slug>/."))
        user = User.objects.prefetch_related("memberships__organization").get(pk=user.pk)
        return Response(MeSerializer(user).data)


class MyOrganizationViewSet(AccountAccessMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Organizations the signed-in user belongs to."""

    serializer_class = OrganizationSerializer
    ordering = "legal_name"

    def get_queryset(self) -> QuerySet[Organization]:
        user = self.request.user
        if not isinstance(user, User):
            return Organization.objects.none()
        return organization_list_for_user(user=user)


class OrganizationViewSet(OrganizationScopedViewSet):
    """One organization, resolved from the URL."""

    serializer_class = OrganizationSerializer
    required_actions = {"retrieve": Action.ORGANIZATION_VIEW}

    @extend_schema(summary="Retrieve an organization you belong to")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(OrganizationSerializer(self.organization).data)


class AuditEventViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """The organization's audit log (owners and admins)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    required_actions = {"list": Action.AUDIT_VIEW}
    ordering = ("-occurred_at", "-id")

    def get_scoped_queryset(self) -> QuerySet[AuditEvent]:
        return audit_event_list(organization=self.organization).select_related("organization")


class OperatorAuditEventViewSet(mixins.ListModelMixin, OperatorViewSet):
    """The whole platform's audit log, for cloud operators."""

    serializer_class = AuditEventSerializer
    filterset_class = OperatorAuditEventFilter
    ordering = ("-occurred_at", "-id")

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.unscoped().select_related("organization")


class EraseSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(write_only=True, help_text="Your current password, to confirm.")


class EraseMeView(AccountAPIView):
    """Delete your account (GDPR Art. 17): personal data is erased; invoices and audit records stay, pseudonymized."""

    error_codes = {"post": {400: ["last_owner"]}}

    @extend_schema(request=EraseSerializer, responses={204: None}, summary="Delete my account")
    def post(self, request: Request) -> Response:
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied(_("API keys have no user account."))
        serializer = EraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not user.check_password(serializer.validated_data["password"]):
            raise ValidationError({"password": [_("The password is not correct.")]})
        user_erase(actor=Actor.from_request(request), user=user)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganizationExportViewSet(OrganizationScopedViewSet):
    """Everything Kontor holds about the organization, as one JSON archive (GDPR Art. 20). Owners only."""

    required_actions = {"retrieve": Action.DATA_EXPORT}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Download the organization's data")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        archive = organization_export(actor=Actor.from_request(request), organization=self.organization)
        filename = f"kontor-{self.organization.slug}-{timezone.now():%Y%m%d}.json"
        return Response(archive, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
