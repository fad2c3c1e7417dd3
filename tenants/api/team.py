"""Teams and API keys: invitations, roles, leaving, and keys for partner integrations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api import fields as api_fields
from portal.api.access import AccountAPIView, OrganizationScopedViewSet
from portal.api.idempotency import idempotent
from tenants.api.serializers import MembershipSerializer
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import ApiKey, Invitation, Membership, User
from tenants.permissions import Action, Scope
from tenants.services import (
    api_key_create,
    api_key_revoke,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    membership_remove,
    membership_role_change,
)


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "created_at", "expires_at", "responded_at"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationTokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=500)


class RoleSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices)


def _may_manage_owners(view: OrganizationScopedViewSet) -> bool:
    return view.membership is not None and view.membership.role == Role.OWNER


class InvitationViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = InvitationSerializer
    required_actions = {"list": Action.MEMBERS_MANAGE, "create": Action.MEMBERS_MANAGE, "revoke": Action.MEMBERS_MANAGE}
    error_codes = {"revoke": {400: ["invitation_used"]}}
    ordering = "-created_at"

    def get_scoped_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.for_organization(self.organization)

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        examples=[
            OpenApiExample(
                "Invite an engineer", request_only=True, value={"email": "anna@rheinwerk.example", "role": "member"}
            )
        ],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = invitation_create(
            actor=Actor.from_request(request),
            organization=self.organization,
            may_manage_owners=_may_manage_owners(self),
            **serializer.validated_data,
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer, summary="Revoke a pending invitation")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        invitation = get_object_or_404(self.get_scoped_queryset(), pk=pk)
        invitation = invitation_revoke(
            actor=Actor.from_request(request), organization=self.organization, invitation=invitation
        )
        return Response(InvitationSerializer(invitation).data)


class MemberViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """The organization's members: list (everyone), change a role and remove (owners and admins), leave (anyone)."""

    serializer_class = MembershipSerializer
    required_actions = {
        "list": Action.MEMBERS_VIEW,
        "partial_update": Action.MEMBERS_MANAGE,
        "destroy": Action.MEMBERS_MANAGE,
        "leave": Action.ORGANIZATION_VIEW,
    }
    error_codes = {
        "partial_update": {400: ["last_owner"]},
        "destroy": {400: ["last_owner"]},
        "leave": {400: ["last_owner"]},
    }

    def get_scoped_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.for_organization(self.organization).select_related("user")

    @extend_schema(request=RoleSerializer, responses=MembershipSerializer, summary="Change a member's role")
    def partial_update(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_role_change(
            actor=Actor.from_request(request),
            organization=self.organization,
            membership=get_object_or_404(self.get_scoped_queryset(), pk=pk),
            role=serializer.validated_data["role"],
            may_manage_owners=_may_manage_owners(self),
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, responses={204: None}, summary="Remove a member")
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        membership_remove(
            actor=Actor.from_request(request),
            organization=self.organization,
            membership=get_object_or_404(self.get_scoped_queryset(), pk=pk),
            may_manage_owners=_may_manage_owners(self),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None}, summary="Leave the organization")
    @action(detail=False, methods=["post"])
    def leave(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self.membership is None:
            raise PermissionDenied(_("An API key cannot leave an organization; revoke it instead."))
        membership_remove(
            actor=Actor.from_request(request),
            organization=self.organization,
            membership=self.membership,
            may_manage_owners=_may_manage_owners(self),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAnswerView(AccountAPIView):
    """Accept or decline an invitation with the token from its link (signed in as the invited address)."""

    answer = "accept"
    error_codes = {
        "post": {
            400: [
                "already_member",
                "invitation_expired",
                "invitation_invalid",
                "invitation_other_user",
                "invitation_used",
            ]
        }
    }

    @extend_schema(request=InvitationTokenSerializer, responses={200: MembershipSerializer})
    def post(self, request: Request) -> Response:
        serializer = InvitationTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied(_("Invitations are answered by a person, not an API key."))
        token = serializer.validated_data["token"]
        actor = Actor.from_request(request)
        if self.answer == "decline":
            invitation = invitation_decline(actor=actor, token=token, user=user)
            return Response(InvitationSerializer(invitation).data)
        membership = invitation_accept(actor=actor, user=user, token=token)
        return Response(MembershipSerializer(membership).data)


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=[s.value for s in Scope]), allow_empty=False)
    expires_at = api_fields.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    token = serializers.CharField(help_text="The full key. Shown once: store it now, Kontor keeps only a digest.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiKeyViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = ApiKeySerializer
    required_actions = {
        "list": Action.API_KEYS_MANAGE,
        "create": Action.API_KEYS_MANAGE,
        "revoke": Action.API_KEYS_MANAGE,
    }
    ordering = "-created_at"

    def get_scoped_queryset(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.for_organization(self.organization)

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
        examples=[
            OpenApiExample(
                "A reseller integration",
                request_only=True,
                value={"name": "ERP sync", "scopes": ["catalog:read", "billing:read"]},
            )
        ],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, token = api_key_create(
            actor=Actor.from_request(request), organization=self.organization, **serializer.validated_data
        )
        return Response({**ApiKeySerializer(api_key).data, "token": token}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer, summary="Revoke a key")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        api_key = api_key_revoke(
            actor=Actor.from_request(request),
            organization=self.organization,
            api_key=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(ApiKeySerializer(api_key).data)
