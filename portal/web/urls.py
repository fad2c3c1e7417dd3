from __future__ import annotations

from django.urls import include, path

from billing.web.urls import urlpatterns as billing_web_urlpatterns
from portal.web import views
from provisioning.web.urls import urlpatterns as provisioning_web_urlpatterns
from reservations.web.urls import urlpatterns as reservations_web_urlpatterns
from tenants.web.urls import urlpatterns as tenants_web_urlpatterns
from webhooks.web.urls import urlpatterns as webhooks_web_urlpatterns

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("orgs/<slug:organization_slug>/audit/", views.organization_audit_log, name="organization-audit-log"),
    path("", include(tenants_web_urlpatterns)),
    path("", include(reservations_web_urlpatterns)),
    path("", include(provisioning_web_urlpatterns)),
    path("", include(billing_web_urlpatterns)),
    path("", include(webhooks_web_urlpatterns)),
]
