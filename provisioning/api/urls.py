from __future__ import annotations

from django.urls import path

from provisioning.api import views

urlpatterns = [
    path(
        "organizations/<slug:organization_slug>/cloud-profile/",
        views.CloudProfileViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="cloud-profile",
    ),
]
