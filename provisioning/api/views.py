"""Cloud access through the API: SSH keys, the NGC API key (write-only) and the allowed networks.

Reading needs ``cloud.view`` (API-key scope ``cloud:read``), changing ``cloud.manage`` (``cloud:write``). A member may
add and remove their own SSH keys with ``cloud.view``; shared keys belong to those who manage the organization's
cloud access. An API key has no person behind it, so the keys it adds are the organization's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.access import OrganizationScopedViewSet
from provisioning.cloud_access import (
    allowed_cidr_add,
    allowed_cidr_remove,
    ngc_api_key_remove,
    ngc_api_key_set,
    service_curl_example,
    service_token_reveal,
    service_token_rotate,
)
from provisioning.drivers import CloudError
from provisioning.instance_actions import (
    MAX_CONSOLE_LINES,
    instance_console_log,
    instance_get,
    instance_reboot,
    instance_rename,
)
from provisioning.models import AllowedCidr, CloudProfile, Instance, ReservationAccess
from tenants.audit import Actor
from tenants.models import ApiKey, SshKey
from tenants.permissions import Action, role_allows, scope_allows
from tenants.selectors import ssh_key_list
from tenants.services import ssh_key_add, ssh_key_remove

EXAMPLE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhEbBVUs5xPBjQqxG5rTKh5QZ0PNs6dYJ0pNSgLxe2T ada@laptop"


def _allows(view: OrganizationScopedViewSet, request: Request, action: Action) -> bool:
    if isinstance(request.auth, ApiKey):
        return scope_allows(request.auth.scopes, action)
    return view.membership is not None and role_allows(view.membership.role, action)


# --- The NGC API key ------------------------------------------------------------------------------------------------


class CloudProfileSerializer(serializers.Serializer[Any]):
    has_ngc_api_key = serializers.BooleanField(read_only=True, help_text="The key itself is never returned.")
    ngc_api_key_last4 = serializers.CharField(read_only=True, help_text="The key's last four characters, or empty.")


class CloudProfileUpdateSerializer(serializers.Serializer[Any]):
    ngc_api_key = serializers.CharField(write_only=True, trim_whitespace=False, max_length=500)


class CloudProfileViewSet(OrganizationScopedViewSet):
    serializer_class = CloudProfileSerializer
    required_actions = {
        "retrieve": Action.CLOUD_VIEW,
        "update": Action.CLOUD_MANAGE,
        "remove_ngc_api_key": Action.CLOUD_MANAGE,
    }

    def _show(self, profile: CloudProfile | None, status_code: int = status.HTTP_200_OK) -> Response:
        has_key = bool(profile and profile.has_ngc_api_key)
        return Response(
            {"has_ngc_api_key": has_key, "ngc_api_key_last4": profile.ngc_api_key_last4 if profile else ""},
            status=status_code,
        )

    @extend_schema(responses=CloudProfileSerializer, summary="The organization's cloud profile")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._show(CloudProfile.objects.for_organization(self.organization).first())

    @extend_schema(
        request=CloudProfileUpdateSerializer,
        responses=CloudProfileSerializer,
        summary="Set or replace the NGC API key (stored encrypted, never returned)",
        examples=[OpenApiExample("A personal key", request_only=True, value={"ngc_api_key": "nvapi-" + "x" * 64})],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CloudProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = ngc_api_key_set(
            actor=Actor.from_request(request),
            organization=self.organization,
            ngc_api_key=serializer.validated_data["ngc_api_key"],
        )
        return self._show(profile)

    @extend_schema(request=None, responses={204: None}, summary="Remove the NGC API key")
    def remove_ngc_api_key(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ngc_api_key_remove(actor=Actor.from_request(request), organization=self.organization)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- SSH keys -------------------------------------------------------------------------------------------------------


class SshKeySerializer(serializers.ModelSerializer[SshKey]):
    shared = serializers.BooleanField(source="is_shared", read_only=True, help_text="Shared by the organization.")
    owner = serializers.SerializerMethodField(help_text="The member whose own key it is; null when shared.")

    class Meta:
        model = SshKey
        fields = ["id", "name", "fingerprint", "key_type", "bits", "public_key", "shared", "owner", "created_at"]
        read_only_fields = fields

    def get_owner(self, key: SshKey) -> str | None:
        return key.user.email if key.user is not None else None


class SshKeyCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, trim_whitespace=False)
    public_key = serializers.CharField(max_length=20_000, trim_whitespace=False)
    personal = serializers.BooleanField(
        default=False, help_text="Your own key (people only); otherwise shared by the organization."
    )


class SshKeyViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = SshKeySerializer
    # Adding or removing one's own key needs only cloud.view; shared keys are checked for cloud.manage below.
    required_actions = {"list": Action.CLOUD_VIEW, "create": Action.CLOUD_VIEW, "destroy": Action.CLOUD_VIEW}
    ordering = "id"

    def get_scoped_queryset(self) -> QuerySet[SshKey]:
        return ssh_key_list(organization=self.organization)

    @extend_schema(
        request=SshKeyCreateSerializer,
        responses={201: SshKeySerializer},
        summary="Add an SSH public key (ed25519, ECDSA or RSA ≥ 3072 bits)",
        examples=[OpenApiExample("A shared key", request_only=True, value={"name": "CI", "public_key": EXAMPLE_KEY})],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SshKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = Actor.from_request(request)
        if data["personal"] and actor.user is None:
            raise serializers.ValidationError({"personal": [_("An API key adds only the organization's keys.")]})
        if not data["personal"] and not _allows(self, request, Action.CLOUD_MANAGE):
            raise exceptions.PermissionDenied(
                _("Your role does not allow this action (%(action)s).") % {"action": Action.CLOUD_MANAGE}
            )
        key = ssh_key_add(
            actor=actor,
            organization=self.organization,
            name=data["name"],
            public_key=data["public_key"],
            owner=actor.user if data["personal"] else None,
        )
        return Response(SshKeySerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Remove an SSH key")
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        key = get_object_or_404(self.get_scoped_queryset(), pk=pk)
        actor = Actor.from_request(request)
        own = key.user_id is not None and actor.user is not None and key.user_id == actor.user.pk
        if not own and not _allows(self, request, Action.CLOUD_MANAGE):
            raise exceptions.PermissionDenied(
                _("Your role does not allow this action (%(action)s).") % {"action": Action.CLOUD_MANAGE}
            )
        ssh_key_remove(actor=actor, organization=self.organization, key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Allowed networks -----------------------------------------------------------------------------------------------


class AllowedCidrSerializer(serializers.ModelSerializer[AllowedCidr]):
    class Meta:
        model = AllowedCidr
        fields = ["id", "cidr", "description", "broad_confirmed", "created_at"]
        read_only_fields = fields


class AllowedCidrCreateSerializer(serializers.Serializer[Any]):
    cidr = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    confirm_broad = serializers.BooleanField(
        default=False, help_text="Needed for networks broader than /16, such as 0.0.0.0/0 (the whole internet)."
    )


class AllowedCidrViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = AllowedCidrSerializer
    required_actions = {"list": Action.CLOUD_VIEW, "create": Action.CLOUD_MANAGE, "destroy": Action.CLOUD_MANAGE}
    ordering = "id"

    def get_scoped_queryset(self) -> QuerySet[AllowedCidr]:
        return AllowedCidr.objects.for_organization(self.organization)

    @extend_schema(
        request=AllowedCidrCreateSerializer,
        responses={201: AllowedCidrSerializer},
        summary="Allow a network (IPv4, public) to reach servers with a public address",
        examples=[OpenApiExample("The office", request_only=True, value={"cidr": "85.214.0.0/16"})],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AllowedCidrCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        allowed = allowed_cidr_add(
            actor=Actor.from_request(request), organization=self.organization, **serializer.validated_data
        )
        return Response(AllowedCidrSerializer(allowed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Stop allowing a network")
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        allowed = get_object_or_404(self.get_scoped_queryset(), pk=pk)
        allowed_cidr_remove(actor=Actor.from_request(request), organization=self.organization, allowed=allowed)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Instance actions -----------------------------------------------------------------------------------------------


class RebootSerializer(serializers.Serializer[Any]):
    hard = serializers.BooleanField(default=False, help_text="A power cycle instead of an orderly restart.")


class ConsoleLogQuerySerializer(serializers.Serializer[Any]):
    lines = serializers.IntegerField(default=100, min_value=1, max_value=MAX_CONSOLE_LINES)


class ConsoleLogSerializer(serializers.Serializer[Any]):
    lines = serializers.IntegerField()
    output = serializers.CharField()


class InstanceRenameSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=200, trim_whitespace=False, help_text="Lowercase letters, digits and hyphens; at most 63."
    )


class InstanceNameSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    name = serializers.CharField()


class CloudUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "cloud_unavailable"


class InstanceActionViewSet(OrganizationScopedViewSet):
    required_actions = {
        "reboot": Action.RESERVATIONS_MANAGE,
        "console_log": Action.RESERVATIONS_MANAGE,
        "rename": Action.RESERVATIONS_MANAGE,
    }
    error_codes = {
        "reboot": {400: ["invalid_state"], 503: ["cloud_unavailable"]},
        "console_log": {400: ["invalid_state"], 503: ["cloud_unavailable"]},
    }

    def _instance(self, reservation_pk: str, index: str) -> Instance:
        instance = instance_get(organization=self.organization, reservation_id=int(reservation_pk), index=int(index))
        if instance is None:
            raise exceptions.NotFound()
        return instance

    @extend_schema(
        request=InstanceRenameSerializer,
        responses=InstanceNameSerializer,
        summary="Rename an instance (unique within the reservation)",
        examples=[OpenApiExample("A name", request_only=True, value={"name": "trainer-1"})],
    )
    def rename(self, request: Request, *args: Any, reservation_pk: str, index: str, **kwargs: Any) -> Response:
        serializer = InstanceRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self._instance(reservation_pk, index)
        renamed = instance_rename(
            actor=Actor.from_request(request), instance=instance, name=serializer.validated_data["name"]
        )
        return Response({"index": renamed.index, "name": renamed.name})

    @extend_schema(request=RebootSerializer, responses={202: None}, summary="Reboot an instance (soft or hard)")
    def reboot(self, request: Request, *args: Any, reservation_pk: str, index: str, **kwargs: Any) -> Response:
        serializer = RebootSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self._instance(reservation_pk, index)
        try:
            instance_reboot(actor=Actor.from_request(request), instance=instance, **serializer.validated_data)
        except CloudError as exc:
            raise CloudUnavailable(_("The cloud did not accept the reboot: %(error)s") % {"error": exc}) from exc
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[ConsoleLogQuerySerializer], responses=ConsoleLogSerializer, summary="The last lines of the console"
    )
    def console_log(self, request: Request, *args: Any, reservation_pk: str, index: str, **kwargs: Any) -> Response:
        query = ConsoleLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        instance = self._instance(reservation_pk, index)
        lines = query.validated_data["lines"]
        try:
            output = instance_console_log(actor=Actor.from_request(request), instance=instance, lines=lines)
        except CloudError as exc:
            raise CloudUnavailable(_("The cloud did not return the console log: %(error)s") % {"error": exc}) from exc
        return Response({"lines": lines, "output": output})


# --- The secured service endpoint -----------------------------------------------------------------------------------


class ServiceTokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send it as `Authorization: Bearer <token>`.")
    tls_fingerprint = serializers.CharField()
    curl = serializers.CharField(help_text="An example request against the first server.")


class ServiceTokenViewSet(OrganizationScopedViewSet):
    required_actions = {"reveal": Action.RESERVATIONS_MANAGE, "rotate": Action.RESERVATIONS_MANAGE}
    error_codes = {"reveal": {400: ["invalid_state"]}, "rotate": {400: ["invalid_state"]}}

    def _access(self, reservation_pk: str) -> ReservationAccess:
        access = (
            ReservationAccess.objects.for_organization(self.organization).filter(reservation_id=reservation_pk).first()
        )
        if access is None:
            raise exceptions.NotFound()
        return access

    @extend_schema(
        request=None,
        responses=ServiceTokenSerializer,
        summary="Replace the service endpoint's token (the old one stops working)",
        description=(
            "Answers the new token. Servers started from now on boot with it; running servers read it, sealed, from "
            "their metadata and switch within about a minute."
        ),
    )
    def rotate(self, request: Request, *args: Any, reservation_pk: str, **kwargs: Any) -> Response:
        access = service_token_rotate(actor=Actor.from_request(request), access=self._access(reservation_pk))
        token = service_token_reveal(actor=Actor.from_request(request), access=access)
        curl = service_curl_example(access=access, token=token)
        return Response({"token": token, "tls_fingerprint": access.tls_fingerprint, "curl": curl})

    @extend_schema(request=None, responses=ServiceTokenSerializer, summary="Reveal the service endpoint's token")
    def reveal(self, request: Request, *args: Any, reservation_pk: str, **kwargs: Any) -> Response:
        access = self._access(reservation_pk)
        token = service_token_reveal(actor=Actor.from_request(request), access=access)
        curl = service_curl_example(access=access, token=token)
        return Response({"token": token, "tls_fingerprint": access.tls_fingerprint, "curl": curl})
