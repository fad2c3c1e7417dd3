"""The cloud access pages; portal/web/urls.py includes them, so the names are ``portal:...``."""

from __future__ import annotations

from django.urls import path

from provisioning.web import views

org = "orgs/<slug:organization_slug>/cloud-access"
instance = "orgs/<slug:organization_slug>/reservations/<int:reservation_id>/instances/<int:index>"
urlpatterns = [
    path(f"{org}/", views.cloud_access, name="cloud-access"),
    path(f"{org}/ssh-keys/", views.ssh_key_create, name="ssh-key-create"),
    path(f"{org}/ssh-keys/<int:key_id>/remove/", views.ssh_key_delete, name="ssh-key-remove"),
    path(f"{org}/ngc-api-key/", views.ngc_api_key_update, name="ngc-api-key"),
    path(f"{org}/ngc-api-key/remove/", views.ngc_api_key_delete, name="ngc-api-key-remove"),
    path(f"{org}/networks/", views.allowed_cidr_create, name="allowed-cidr-create"),
    path(f"{org}/networks/<int:cidr_id>/remove/", views.allowed_cidr_delete, name="allowed-cidr-remove"),
    path(f"{instance}/reboot/", views.instance_reboot_view, name="instance-reboot"),
    path(f"{instance}/console-log/", views.instance_console_view, name="instance-console-log"),
    path(f"{instance}/name/", views.instance_rename_view, name="instance-rename"),
    path(
        "orgs/<slug:organization_slug>/reservations/<int:reservation_id>/service-token/",
        views.service_token,
        name="reservation-service-token",
    ),
]
