from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import metrics
from portal.api.urls import fallback_urlpatterns as api_fallback_urlpatterns
from portal.web import health, views

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("api/v1/", include("portal.api.urls")),
    path("ops/", admin.site.urls),
    # allauth's own sign-up is closed: its address leads to Kontor's company sign-up.
    path("accounts/signup/", RedirectView.as_view(pattern_name="portal:signup", permanent=False)),
    path("accounts/", include("allauth.urls")),
    path("", include("identity.web.urls")),
    path("", include("identity.scim.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("catalog.web.urls")),
    path("", include("portal.web.urls")),
    *api_fallback_urlpatterns,
]

handler400 = "portal.web.errors.bad_request"
handler403 = "portal.web.errors.permission_denied"
handler404 = "portal.web.errors.page_not_found"
handler500 = "portal.web.errors.server_error"
