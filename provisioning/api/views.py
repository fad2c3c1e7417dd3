"""The organization's cloud profile: the NGC API key (write-only) and the SSH public key for its servers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.access import OrganizationScopedViewSet
from provisioning.models import CloudProfile
from provisioning.services import cloud_profile_update
from tenants.audit import Actor
from tenants.permissions import Action


class CloudProfileSerializer(serializers.Serializer[Any]):
    has_ngc_api_key = serializers.BooleanField(read_only=True, help_text="The key itself is never returned.")
    ssh_public_key = serializers.CharField(read_only=True)


class CloudProfileUpdateSerializer(serializers.Serializer[Any]):
    ngc_api_key = serializers.CharField(required=False, write_only=True, trim_whitespace=True, max_length=500)
    ssh_public_key = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CloudProfileViewSet(OrganizationScopedViewSet):
    serializer_class = CloudProfileSerializer
    required_actions = {"retrieve": Action.ORGANIZATION_VIEW, "update": Action.ORGANIZATION_UPDATE}

    def _show(self, profile: CloudProfile | None) -> Response:
        return Response(
            {
                "has_ngc_api_key": bool(profile and profile.has_ngc_api_key),
                "ssh_public_key": profile.ssh_public_key if profile else "",
            }
        )

    @extend_schema(responses=CloudProfileSerializer, summary="The organization's cloud profile")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._show(CloudProfile.objects.for_organization(self.organization).first())

    @extend_schema(
        request=CloudProfileUpdateSerializer,
        responses=CloudProfileSerializer,
        summary="Set the NGC API key (stored encrypted) and/or the SSH public key",
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CloudProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = cloud_profile_update(
            actor=Actor.from_request(request), organization=self.organization, **serializer.validated_data
        )
        return self._show(profile)
