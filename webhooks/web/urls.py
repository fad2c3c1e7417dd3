"""The webhook pages. A plain list: portal/web/urls.py includes it, so the names are ``portal:...``."""

from __future__ import annotations

from django.urls import path

from webhooks.web import views

org = "orgs/<slug:organization_slug>/webhooks"
urlpatterns = [
    path(f"{org}/", views.endpoints, name="webhook-endpoints"),
    path(f"{org}/<int:endpoint_id>/", views.endpoint_detail, name="webhook-endpoint"),
    path(
        f"{org}/<int:endpoint_id>/<str:verb>/",
        views.endpoint_action,
        name="webhook-endpoint-action",
    ),
    path(
        f"{org}/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        views.delivery_resend,
        name="webhook-delivery-resend",
    ),
]
