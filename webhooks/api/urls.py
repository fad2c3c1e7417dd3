from __future__ import annotations

from django.urls import path

from webhooks.api import views

app_name = "webhooks"

org = "organizations/<slug:organization_slug>/webhook-endpoints"
endpoints = views.WebhookEndpointViewSet
deliveries = views.WebhookDeliveryViewSet
urlpatterns = [
    path(f"{org}/", endpoints.as_view({"get": "list", "post": "create"}), name="endpoint-list"),
    path(
        f"{org}/<int:pk>/",
        endpoints.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="endpoint-detail",
    ),
    path(f"{org}/<int:pk>/rotate-secret/", endpoints.as_view({"post": "rotate_secret"}), name="endpoint-rotate"),
    path(f"{org}/<int:pk>/test/", endpoints.as_view({"post": "send_test"}), name="endpoint-test"),
    path(f"{org}/<int:endpoint_pk>/deliveries/", deliveries.as_view({"get": "list"}), name="delivery-list"),
    path(
        f"{org}/<int:endpoint_pk>/deliveries/<int:pk>/", deliveries.as_view({"get": "retrieve"}), name="delivery-detail"
    ),
    path(
        f"{org}/<int:endpoint_pk>/deliveries/<int:pk>/resend/",
        deliveries.as_view({"post": "resend"}),
        name="delivery-resend",
    ),
]
