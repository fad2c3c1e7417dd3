"""The reservation pages. A plain list: portal/web/urls.py includes it, so the names are ``portal:...``."""

from __future__ import annotations

from django.urls import path

from reservations.web import views

org = "orgs/<slug:organization_slug>"
urlpatterns = [
    path(f"{org}/reservations/", views.reservation_list_page, name="reservation-list"),
    path(f"{org}/reservations/book/", views.reservation_book, name="reservation-book"),
    path(f"{org}/reservations/<int:reservation_id>/", views.reservation_detail, name="reservation-detail"),
    path(
        f"{org}/reservations/<int:reservation_id>/instances/",
        views.reservation_instances_fragment,
        name="reservation-instances",
    ),
    path(f"{org}/reservations/<int:reservation_id>/cancel/", views.reservation_cancel, name="reservation-cancel"),
    path(f"{org}/reservations/<int:reservation_id>/release/", views.reservation_release, name="reservation-release"),
    path(f"{org}/reservations/<int:reservation_id>/extend/", views.reservation_extend, name="reservation-extend"),
    path(f"{org}/quota/", views.quota, name="quota"),
    path("capacity/", views.capacity, name="capacity"),
]
