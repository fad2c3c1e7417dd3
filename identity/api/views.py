"""The identity API (owners; API keys with ``identity:read`` / ``identity:write`` while their creator is an owner):
the identity provider (OIDC or SAML), verified e-mail domains, the sign-in policy, group → role mappings and
SCIM tokens. Every write goes through ``identity.services`` (audited); secrets are never returned."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from identity import scim_services, services
from identity.api.serializers import (
    EmailDomainInputSerializer,
    EmailDomainSerializer,
    GroupRoleMappingInputSerializer,
    GroupRoleMappingSerializer,
    IdentityProviderInputSerializer,
    IdentityProviderSerializer,
    ScimTokenCreatedSerializer,
    ScimTokenSerializer,
    SignInPolicyInputSerializer,
    SignInPolicySerializer,
)
from identity.choices import Protocol
from identity.models import EmailDomain, GroupRoleMapping, ScimToken
from identity.selectors import email_domain_list, group_role_mapping_list, identity_provider_get, sign_in_policy_get
from portal.api.access import OrganizationScopedAPIView, OrganizationScopedViewSet
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import ApiKey, Membership, User
from tenants.permissions import Action

A = Action


class OwnerKeysOnly:
    """An API key reaches identity only while the person who created it is an owner of the organization."""

    def check_action_allowed(self, request: Request, api_key: ApiKey | None) -> None:
        super().check_action_allowed(request, api_key)  # type: ignore[misc]
        if api_key is not None and not (
            Membership.objects.for_organization(self.organization)  # type: ignore[attr-defined]
            .filter(user_id=api_key.created_by_id, role=Role.OWNER)
            .exists()
        ):
            raise PermissionDenied(_("Only an owner's API key can reach the identity settings."))


class IdentityProviderView(OwnerKeysOnly, OrganizationScopedAPIView):
    required_actions = {"get": A.IDENTITY_VIEW, "put": A.IDENTITY_MANAGE, "delete": A.IDENTITY_MANAGE}

    @extend_schema(responses=IdentityProviderSerializer, summary="The organization's identity provider")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        provider = identity_provider_get(organization=self.organization)
        if provider is None:
            raise NotFound()
        return Response(IdentityProviderSerializer(provider).data)

    @extend_schema(
        request=IdentityProviderInputSerializer,
        responses=IdentityProviderSerializer,
        summary="Connect or change the identity provider (OIDC or SAML 2.0)",
        examples=[
            OpenApiExample(
                "OpenID Connect",
                request_only=True,
                value={
                    "protocol": "oidc",
                    "issuer": "https://login.example.de/realms/staff",
                    "client_id": "kontor",
                    "client_secret": "…",
                    "groups_claim": "groups",
                },
            ),
            OpenApiExample(
                "SAML 2.0 by metadata URL",
                request_only=True,
                value={"protocol": "saml", "metadata_url": "https://idp.example.de/metadata", "groups_claim": "groups"},
            ),
        ],
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = IdentityProviderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = Actor.from_request(request)
        if data["protocol"] == Protocol.OIDC:
            provider = services.identity_provider_configure(
                actor=actor,
                organization=self.organization,
                issuer=data.get("issuer", ""),
                client_id=data.get("client_id", ""),
                client_secret=data.get("client_secret") or None,
                scopes=data["scopes"],
                groups_claim=data["groups_claim"],
                enabled=data["enabled"],
            )
        else:
            provider = services.identity_provider_configure_saml(
                actor=actor,
                organization=self.organization,
                metadata_url=data.get("metadata_url", ""),
                metadata_xml=data.get("metadata_xml", ""),
                entity_id=data.get("entity_id", ""),
                sso_url=data.get("sso_url", ""),
                certificate=data.get("certificate", ""),
                groups_attribute=data["groups_claim"],
                enabled=data["enabled"],
            )
        return Response(IdentityProviderSerializer(provider).data)

    @extend_schema(responses={204: None}, summary="Disconnect the identity provider")
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if identity_provider_get(organization=self.organization) is None:
            raise NotFound()
        services.identity_provider_remove(actor=Actor.from_request(request), organization=self.organization)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailDomainViewSet(OwnerKeysOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    serializer_class = EmailDomainSerializer
    required_actions = {
        "list": A.IDENTITY_VIEW,
        "retrieve": A.IDENTITY_VIEW,
        "create": A.IDENTITY_MANAGE,
        "destroy": A.IDENTITY_MANAGE,
        "check": A.IDENTITY_MANAGE,
    }
    ordering = "domain"

    def get_scoped_queryset(self) -> QuerySet[EmailDomain]:
        return email_domain_list(organization=self.organization)

    @extend_schema(
        request=EmailDomainInputSerializer,
        responses={201: EmailDomainSerializer},
        summary="Claim a domain (publish the TXT record it names; the check starts at once)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EmailDomainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email_domain = services.email_domain_claim(
            actor=Actor.from_request(request),
            organization=self.organization,
            domain=serializer.validated_data["domain"],
        )
        services.email_domain_request_check(organization=self.organization, email_domain=email_domain)
        return Response(EmailDomainSerializer(email_domain).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        services.email_domain_remove(
            actor=Actor.from_request(request),
            organization=self.organization,
            email_domain=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: EmailDomainSerializer}, summary="Look for the DNS record now")
    @action(detail=True, methods=["post"])
    def check(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        email_domain = get_object_or_404(self.get_scoped_queryset(), pk=pk)
        services.email_domain_request_check(organization=self.organization, email_domain=email_domain)
        return Response(EmailDomainSerializer(email_domain).data, status=status.HTTP_202_ACCEPTED)


class SignInPolicyView(OwnerKeysOnly, OrganizationScopedAPIView):
    required_actions = {"get": A.IDENTITY_VIEW, "put": A.IDENTITY_MANAGE}

    @extend_schema(responses=SignInPolicySerializer, summary="How members sign in")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = sign_in_policy_get(organization=self.organization)
        if policy is None:
            return Response(
                {"sso_required": False, "mfa_required": False, "break_glass_owner": None, "updated_at": None}
            )
        return Response(SignInPolicySerializer(policy).data)

    @extend_schema(
        request=SignInPolicyInputSerializer,
        responses=SignInPolicySerializer,
        summary="Require single sign-on and/or a second factor; name the break-glass owner",
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SignInPolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        break_glass_owner = None
        if data.get("break_glass_owner"):
            break_glass_owner = User.objects.filter(
                email=data["break_glass_owner"].lower(), memberships__organization=self.organization
            ).first()
            if break_glass_owner is None:
                raise ValidationError(
                    {"break_glass_owner": [_("The break-glass account must be an owner of the organization.")]}
                )
        policy = services.sign_in_policy_set(
            actor=Actor.from_request(request),
            organization=self.organization,
            sso_required=data["sso_required"],
            mfa_required=data["mfa_required"],
            break_glass_owner=break_glass_owner,
        )
        return Response(SignInPolicySerializer(policy).data)


class GroupRoleMappingViewSet(OwnerKeysOnly, mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = GroupRoleMappingSerializer
    required_actions = {"list": A.IDENTITY_VIEW, "create": A.IDENTITY_MANAGE, "destroy": A.IDENTITY_MANAGE}
    ordering = "group"

    def get_scoped_queryset(self) -> QuerySet[GroupRoleMapping]:
        return group_role_mapping_list(organization=self.organization)

    @extend_schema(
        request=GroupRoleMappingInputSerializer,
        responses={201: GroupRoleMappingSerializer},
        summary="Map a provider group to a role (applies at the next sign-in)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = GroupRoleMappingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = services.group_role_mapping_set(
            actor=Actor.from_request(request), organization=self.organization, **serializer.validated_data
        )
        return Response(GroupRoleMappingSerializer(mapping).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        services.group_role_mapping_remove(
            actor=Actor.from_request(request),
            organization=self.organization,
            mapping=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScimTokenViewSet(OwnerKeysOnly, mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = ScimTokenSerializer
    required_actions = {"list": A.IDENTITY_VIEW, "create": A.IDENTITY_MANAGE, "destroy": A.IDENTITY_MANAGE}
    ordering = "-id"

    def get_scoped_queryset(self) -> QuerySet[ScimToken]:
        return ScimToken.objects.for_organization(self.organization)

    @extend_schema(request=None, responses={201: ScimTokenCreatedSerializer}, summary="A SCIM token (shown once)")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token, raw = scim_services.scim_token_create(actor=Actor.from_request(request), organization=self.organization)
        return Response({**ScimTokenSerializer(token).data, "token": raw}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Revoke a SCIM token")
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        scim_services.scim_token_revoke(
            actor=Actor.from_request(request),
            organization=self.organization,
            token=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
