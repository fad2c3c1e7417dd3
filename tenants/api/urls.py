from __future__ import annotations

from django.urls import path

from tenants.api import views

app_name = "tenants"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("organizations/", views.MyOrganizationViewSet.as_view({"get": "list"}), name="organization-list"),
    path(
        "organizations/<slug:organization_slug>/",
        views.OrganizationViewSet.as_view({"get": "retrieve"}),
        name="organization-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/members/",
        views.MembershipViewSet.as_view({"get": "list"}),
        name="membership-list",
    ),
    path(
        "organizations/<slug:organization_slug>/audit-events/",
        views.AuditEventViewSet.as_view({"get": "list"}),
        name="audit-event-list",
    ),
    path("ops/audit-events/", views.OperatorAuditEventViewSet.as_view({"get": "list"}), name="ops-audit-event-list"),
]
