"""Webhook endpoints and their delivery logs (scopes ``webhooks:read`` / ``webhooks:write``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.access import OrganizationScopedViewSet
from tenants.audit import Actor
from tenants.permissions import Action
from webhooks import services
from webhooks.api.serializers import (
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.selectors import delivery_list, endpoint_list

A = Action


class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    serializer_class = WebhookEndpointSerializer
    required_actions = {
        "list": A.WEBHOOKS_VIEW,
        "retrieve": A.WEBHOOKS_VIEW,
        "create": A.WEBHOOKS_MANAGE,
        "partial_update": A.WEBHOOKS_MANAGE,
        "destroy": A.WEBHOOKS_MANAGE,
        "rotate_secret": A.WEBHOOKS_MANAGE,
        "send_test": A.WEBHOOKS_MANAGE,
    }
    error_codes = {"create": {400: ["too_many_endpoints"]}}
    ordering = "-id"

    def get_scoped_queryset(self) -> QuerySet[WebhookEndpoint]:
        return endpoint_list(organization=self.organization)

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        summary="Create a webhook endpoint (the signing secret is shown once)",
        examples=[
            OpenApiExample(
                "Reservation lifecycle to an ERP",
                request_only=True,
                value={
                    "url": "https://erp.example.com/kontor/webhooks",
                    "event_types": ["reservation.active", "reservation.ended", "invoice.finalized"],
                    "description": "ERP sync",
                },
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(
            actor=Actor.from_request(request), organization=self.organization, **serializer.validated_data
        )
        return Response({**WebhookEndpointSerializer(endpoint).data, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer)
    def partial_update(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        serializer = WebhookEndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            actor=Actor.from_request(request),
            organization=self.organization,
            endpoint=get_object_or_404(self.get_scoped_queryset(), pk=pk),
            **serializer.validated_data,
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        services.endpoint_delete(
            actor=Actor.from_request(request),
            organization=self.organization,
            endpoint=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=WebhookEndpointCreatedSerializer,
        summary="Rotate the signing secret (the old one keeps signing for 24 hours)",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        endpoint, secret = services.endpoint_rotate_secret(
            actor=Actor.from_request(request),
            organization=self.organization,
            endpoint=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response({**WebhookEndpointSerializer(endpoint).data, "secret": secret})

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer}, summary="Send a test event")
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        delivery = services.endpoint_send_test(
            actor=Actor.from_request(request),
            organization=self.organization,
            endpoint=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """The delivery log of one endpoint, newest first; a delivery's detail has its payload and every attempt."""

    serializer_class = WebhookDeliverySerializer
    required_actions = {"list": A.WEBHOOKS_VIEW, "retrieve": A.WEBHOOKS_VIEW, "resend": A.WEBHOOKS_MANAGE}
    ordering = "-id"

    def get_scoped_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = get_object_or_404(endpoint_list(organization=self.organization), pk=self.kwargs["endpoint_pk"])
        return delivery_list(organization=self.organization, endpoint=endpoint)

    def get_serializer_class(self) -> type[WebhookDeliverySerializer]:
        return WebhookDeliveryDetailSerializer if self.action == "retrieve" else WebhookDeliverySerializer

    def retrieve(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        delivery = get_object_or_404(self.get_scoped_queryset().prefetch_related("attempt_log"), pk=pk)
        return Response(WebhookDeliveryDetailSerializer(delivery).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer}, summary="Send a delivery again")
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        delivery = services.delivery_resend(
            actor=Actor.from_request(request),
            organization=self.organization,
            delivery=get_object_or_404(self.get_scoped_queryset(), pk=pk),
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
