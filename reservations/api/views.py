"""Reservations API: booking (idempotent), the lifecycle, availability, the capacity calendar and quotas."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import AvailabilityZone, Flavor, GpuModel
from catalog.selectors import quote_get_bookable
from metering.selectors import reservation_cost
from portal.api.access import AccountAPIView, OrganizationScopedViewSet
from portal.api.errors import error_body
from portal.api.idempotency import idempotent
from provisioning.cloud_access import reservation_order
from reservations.api.selectors import (
    reservation_row_for_api,
    reservation_rows_for_api,
    reservation_rows_related,
)
from reservations.api.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    CalendarQuerySerializer,
    CalendarRowSerializer,
    CostSerializer,
    ExtendSerializer,
    QuotaRequestCreateSerializer,
    ReservationCreateSerializer,
    ReservationSerializer,
    reservation_list_representation,
)
from reservations.availability import availability_check, capacity_calendar, zone_get
from reservations.models import Reservation
from reservations.selectors import reservation_get
from reservations.services import (
    ExtensionRefusedError,
    NoCapacityError,
    quota_request_create,
    reservation_cancel,
    reservation_extend,
    reservation_release,
)
from tenants.audit import Actor
from tenants.permissions import Action

#: The codes of the one rule set every order and every change of a reservation runs (reservations.rules).
ORDER_REFUSALS = [
    "budget_exceeded",
    "consent_required",
    "datetime_out_of_range",
    "organization_not_active",
    "quota_exceeded",
    "window_not_whole_hours",
    "window_too_long",
]


def conflict(detail: str, code: str, **extra: Any) -> Response:
    """409 in the one error shape; ``extra`` adds the answer's specifics (alternatives, a possible end)."""
    return Response({**error_body(detail, code), **extra}, status=status.HTTP_409_CONFLICT)


class ReservationViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = ReservationSerializer
    required_actions = {
        "list": Action.RESERVATIONS_VIEW,
        "retrieve": Action.RESERVATIONS_VIEW,
        "create": Action.RESERVATIONS_MANAGE,
        "cancel": Action.RESERVATIONS_MANAGE,
        "release": Action.RESERVATIONS_MANAGE,
        "extend": Action.RESERVATIONS_MANAGE,
    }
    #: The domain's refusals per action, for the OpenAPI description (portal.api.schema).
    error_codes = {
        "create": {400: [*ORDER_REFUSALS, "not_found", "quote_expired"], 409: ["no_capacity"]},
        "extend": {400: [*ORDER_REFUSALS, "invalid_transition"], 409: ["extension_refused"]},
        "cancel": {400: ["invalid_transition"]},
        "release": {400: ["invalid_transition"]},
    }
    filterset_fields = ["state", "kind"]

    def get_scoped_queryset(self) -> QuerySet[Any]:
        return reservation_rows_for_api(organization=self.organization)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A page of reservations from plain rows: the page's query, then three for what it shows (allocations,
        # instances, their transitions), answered as ReservationSerializer would (reservation_list_representation).
        # A comment, not a docstring: drf-spectacular would publish a docstring as the operation's description.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows: list[dict[str, Any]] = list(queryset if page is None else page)
        related = reservation_rows_related(organization=self.organization, reservation_ids=[row["id"] for row in rows])
        data = reservation_list_representation(rows, related)
        return Response(data) if page is None else self.get_paginated_response(data)

    def _get(self, pk: str) -> Reservation:
        reservation = reservation_get(organization=self.organization, reservation_id=int(pk))
        if reservation is None:
            raise exceptions.NotFound()
        return reservation

    def _show(self, reservation: Reservation, status_code: int = status.HTTP_200_OK) -> Response:
        # Read again as the list reads a page (plain rows, three queries, no model instances or DRF fields; a test
        # keeps reservation_list_representation equal to ReservationSerializer): after an order this runs in the
        # idempotency transaction, which holds the organization's and the pool's locks until it commits, so every
        # racing order of the organization waits for it.
        row, related = reservation_row_for_api(organization=self.organization, reservation_id=reservation.pk)
        if row is None:
            raise exceptions.NotFound()
        return Response(reservation_list_representation([row], related)[0], status=status_code)

    @extend_schema(responses=ReservationSerializer, description="With `cost`: the cost so far, net EUR (an estimate).")
    def retrieve(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        reservation = self._get(pk)
        cost = reservation_cost(reservation=reservation, at=timezone.now())
        data = ReservationSerializer(reservation).data
        return Response({**data, "cost": CostSerializer(cost).data})

    @extend_schema(
        request=ReservationCreateSerializer,
        responses={201: ReservationSerializer},
        examples=[OpenApiExample("Book a quote in any zone", request_only=True, value={"quote": 42})],
        summary="Book the GPUs of a quote",
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ReservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = quote_get_bookable(organization=self.organization, quote_id=data["quote"])
        zone = None
        if data.get("zone"):
            zone = zone_get(data["zone"])
            if zone is None:
                raise serializers.ValidationError({"zone": [_("There is no zone %(slug)s.") % {"slug": data["zone"]}]})
        try:
            booking = reservation_order(
                actor=Actor.from_request(request),
                organization=self.organization,
                quote=quote,
                zone=zone,
                ssh_key_ids=data.get("ssh_keys"),
                public_address=data["public_address"],
                purchase_order_reference=data["purchase_order_reference"],
            )
        except NoCapacityError as exc:
            return conflict(
                exc.messages[0],
                "no_capacity",
                earliest_start=exc.earliest_start.isoformat() if exc.earliest_start else None,
                alternatives=[{**asdict(a), "starts_at": a.starts_at.isoformat()} for a in exc.alternatives],
            )
        return self._show(booking.reservation, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReservationSerializer, summary="Cancel (free before the start)")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        return self._show(reservation_cancel(actor=Actor.from_request(request), reservation=self._get(pk)))

    @extend_schema(request=None, responses=ReservationSerializer, summary="Release a running reservation now")
    @action(detail=True, methods=["post"])
    def release(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        return self._show(reservation_release(actor=Actor.from_request(request), reservation=self._get(pk)))

    @extend_schema(request=ExtendSerializer, responses=ReservationSerializer, summary="Extend a reserved window")
    @idempotent  # above @action: it copies the action's attributes, and documents the header on the action
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, *args: Any, pk: str, **kwargs: Any) -> Response:
        serializer = ExtendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            reservation = reservation_extend(
                actor=Actor.from_request(request),
                reservation=self._get(pk),
                ends_at=serializer.validated_data["ends_at"],
            )
        except ExtensionRefusedError as exc:
            return conflict(
                exc.messages[0],
                "extension_refused",
                possible_until=exc.possible_until.isoformat() if exc.possible_until else None,
            )
        return self._show(reservation)


class AvailabilityViewSet(OrganizationScopedViewSet):
    """Does an order fit; if not, the earliest start and alternatives in other zones or flavors."""

    serializer_class = AvailabilitySerializer
    # "check", not "list": the answer is one object, and the schema must not call it a paginated list.
    required_actions = {"check": Action.CATALOG_QUOTE}

    @extend_schema(parameters=[AvailabilityQuerySerializer], responses=AvailabilitySerializer)
    def check(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        flavor = Flavor.objects.filter(slug=data["flavor"], is_active=True).select_related("node_type").first()
        if flavor is None:
            raise serializers.ValidationError(
                {"flavor": [_("There is no flavor %(slug)s.") % {"slug": data["flavor"]}]}
            )
        zone = AvailabilityZone.objects.filter(slug=data.get("zone") or "").first() if data.get("zone") else None
        answer = availability_check(
            flavor=flavor,
            instances=data["instance_count"],
            kind=data["kind"],
            starts_at=data["starts_at"],
            ends_at=data.get("ends_at"),
            zone=zone,
        )
        return Response(AvailabilitySerializer(answer).data)


class CapacityCalendarView(AccountAPIView):
    """Free GPUs per hour or per day in a zone for a GPU model (signed-in users and keys)."""

    error_codes = {"get": {404: ["not_found"]}}  # an unknown zone or GPU model

    @extend_schema(parameters=[CalendarQuerySerializer], responses=CalendarRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        zone = get_object_or_404(AvailabilityZone, slug=data["zone"])
        gpu_model = get_object_or_404(GpuModel, slug=data["gpu_model"])
        step = timedelta(hours=1) if data["step"] == "hour" else timedelta(days=1)
        rows = capacity_calendar(
            zone=zone,
            gpu_model=gpu_model,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            step=step,
            kind=data["kind"],
        )
        return Response(CalendarRowSerializer(rows, many=True).data)


class QuotaRequestViewSet(OrganizationScopedViewSet):
    serializer_class = QuotaRequestCreateSerializer
    required_actions = {"create": Action.QUOTA_REQUEST}

    @extend_schema(request=QuotaRequestCreateSerializer, responses={201: None}, summary="Ask for a higher quota")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = QuotaRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        gpu_model = GpuModel.objects.filter(slug=serializer.validated_data["gpu_model"]).first()
        if gpu_model is None:
            raise serializers.ValidationError({"gpu_model": [_("Unknown GPU model.")]})
        quota_request = quota_request_create(
            actor=Actor.from_request(request),
            organization=self.organization,
            gpu_model_id=gpu_model.pk,
            requested_gpus=serializer.validated_data["requested_gpus"],
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response({"id": quota_request.pk, "status": quota_request.status}, status=status.HTTP_201_CREATED)
