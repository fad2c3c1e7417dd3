from __future__ import annotations

from django.urls import path

from provisioning.api import views

urlpatterns = [
    path(
        "organizations/<slug:organization_slug>/cloud-profile/",
        views.CloudProfileViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="cloud-profile",
    ),
    path(
        "organizations/<slug:organization_slug>/cloud-profile/ngc-api-key/",
        views.CloudProfileViewSet.as_view({"delete": "remove_ngc_api_key"}),
        name="cloud-profile-ngc-api-key",
    ),
    path(
        "organizations/<slug:organization_slug>/ssh-keys/",
        views.SshKeyViewSet.as_view({"get": "list", "post": "create"}),
        name="ssh-key-list",
    ),
    path(
        "organizations/<slug:organization_slug>/ssh-keys/<int:pk>/",
        views.SshKeyViewSet.as_view({"delete": "destroy"}),
        name="ssh-key-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/allowed-cidrs/",
        views.AllowedCidrViewSet.as_view({"get": "list", "post": "create"}),
        name="allowed-cidr-list",
    ),
    path(
        "organizations/<slug:organization_slug>/allowed-cidrs/<int:pk>/",
        views.AllowedCidrViewSet.as_view({"delete": "destroy"}),
        name="allowed-cidr-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/reservations/<int:reservation_pk>/service-token/",
        views.ServiceTokenViewSet.as_view({"post": "reveal"}),
        name="reservation-service-token",
    ),
    path(
        "organizations/<slug:organization_slug>/reservations/<int:reservation_pk>/service-token/rotate/",
        views.ServiceTokenViewSet.as_view({"post": "rotate"}),
        name="reservation-service-token-rotate",
    ),
    path(
        "organizations/<slug:organization_slug>/reservations/<int:reservation_pk>/instances/<int:index>/",
        views.InstanceActionViewSet.as_view({"patch": "rename"}),
        name="instance-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/reservations/<int:reservation_pk>/instances/<int:index>/reboot/",
        views.InstanceActionViewSet.as_view({"post": "reboot"}),
        name="instance-reboot",
    ),
    path(
        "organizations/<slug:organization_slug>/reservations/<int:reservation_pk>/instances/<int:index>/console-log/",
        views.InstanceActionViewSet.as_view({"get": "console_log"}),
        name="instance-console-log",
    ),
]
