from __future__ import annotations

from django.urls import path

from portal.web import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("orgs/<slug:organization_slug>/audit/", views.organization_audit_log, name="organization-audit-log"),
]
