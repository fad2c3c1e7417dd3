from __future__ import annotations

from django.urls import path

from reservations.api import views

org = "organizations/<slug:organization_slug>"
urlpatterns = [
    path(
        f"{org}/reservations/",
        views.ReservationViewSet.as_view({"get": "list", "post": "create"}),
        name="reservation-list",
    ),
    path(
        f"{org}/reservations/<int:pk>/",
        views.ReservationViewSet.as_view({"get": "retrieve"}),
        name="reservation-detail",
    ),
    path(
        f"{org}/reservations/<int:pk>/cancel/",
        views.ReservationViewSet.as_view({"post": "cancel"}),
        name="reservation-cancel",
    ),
    path(
        f"{org}/reservations/<int:pk>/release/",
        views.ReservationViewSet.as_view({"post": "release"}),
        name="reservation-release",
    ),
    path(
        f"{org}/reservations/<int:pk>/extend/",
        views.ReservationViewSet.as_view({"post": "extend"}),
        name="reservation-extend",
    ),
    path(f"{org}/availability/", views.AvailabilityViewSet.as_view({"get": "check"}), name="availability"),
    path(f"{org}/quota-requests/", views.QuotaRequestViewSet.as_view({"post": "create"}), name="quota-request"),
    path("capacity/", views.CapacityCalendarView.as_view(), name="capacity-calendar"),
]
