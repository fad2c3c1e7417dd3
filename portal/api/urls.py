"""Everything under /api/v1/. Each app contributes its own ``api/urls.py``."""

from __future__ import annotations

from django.urls import include, path, re_path

from portal.api import views

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="api-schema"),
    path("docs/", views.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", views.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("tenants.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("reservations.api.urls")),
    path("", include("provisioning.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("metering.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("identity.api.urls")),
]

# Must stay last: unknown paths under /api/ answer in the API's error shape.
fallback_urlpatterns = [re_path(r"^api/(?P<unmatched>.*)$", views.api_not_found, name="api-not-found")]
