from __future__ import annotations

from django.urls import path

from tenants.api import onboarding, team, views

app_name = "tenants"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/erase/", views.EraseMeView.as_view(), name="me-erase"),
    path(
        "organizations/<slug:organization_slug>/export/",
        views.OrganizationExportViewSet.as_view({"get": "retrieve"}),
        name="organization-export",
    ),
    path("organizations/", views.MyOrganizationViewSet.as_view({"get": "list"}), name="organization-list"),
    path(
        "organizations/<slug:organization_slug>/",
        views.OrganizationViewSet.as_view({"get": "retrieve"}),
        name="organization-detail",
    ),
    path("signup/", onboarding.SignupView.as_view(), name="signup"),
    path("legal-documents/", onboarding.LegalDocumentsView.as_view(), name="legal-documents"),
    path("invitations/accept/", team.InvitationAnswerView.as_view(answer="accept"), name="invitation-accept"),
    path("invitations/decline/", team.InvitationAnswerView.as_view(answer="decline"), name="invitation-decline"),
    path(
        "organizations/<slug:organization_slug>/members/",
        team.MemberViewSet.as_view({"get": "list"}),
        name="membership-list",
    ),
    path(
        "organizations/<slug:organization_slug>/members/leave/",
        team.MemberViewSet.as_view({"post": "leave"}),
        name="membership-leave",
    ),
    path(
        "organizations/<slug:organization_slug>/members/<int:pk>/",
        team.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="membership-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/invitations/",
        team.InvitationViewSet.as_view({"get": "list", "post": "create"}),
        name="invitation-list",
    ),
    path(
        "organizations/<slug:organization_slug>/invitations/<int:pk>/revoke/",
        team.InvitationViewSet.as_view({"post": "revoke"}),
        name="invitation-revoke",
    ),
    path(
        "organizations/<slug:organization_slug>/api-keys/",
        team.ApiKeyViewSet.as_view({"get": "list", "post": "create"}),
        name="api-key-list",
    ),
    path(
        "organizations/<slug:organization_slug>/api-keys/<int:pk>/revoke/",
        team.ApiKeyViewSet.as_view({"post": "revoke"}),
        name="api-key-revoke",
    ),
    path(
        "organizations/<slug:organization_slug>/consents/",
        onboarding.ConsentViewSet.as_view({"get": "to_accept", "post": "create"}),
        name="consents",
    ),
    path(
        "ops/organizations/", onboarding.OperatorOrganizationViewSet.as_view({"get": "list"}), name="ops-organizations"
    ),
    path(
        "ops/organizations/<slug:slug>/approve/",
        onboarding.OperatorOrganizationViewSet.as_view({"post": "approve"}),
        name="ops-organization-approve",
    ),
    path(
        "ops/organizations/<slug:slug>/reject/",
        onboarding.OperatorOrganizationViewSet.as_view({"post": "reject"}),
        name="ops-organization-reject",
    ),
    path(
        "ops/organizations/<slug:slug>/retry-activation/",
        onboarding.OperatorOrganizationViewSet.as_view({"post": "retry_activation"}),
        name="ops-organization-retry",
    ),
    path(
        "organizations/<slug:organization_slug>/audit-events/",
        views.AuditEventViewSet.as_view({"get": "list"}),
        name="audit-event-list",
    ),
    path("ops/audit-events/", views.OperatorAuditEventViewSet.as_view({"get": "list"}), name="ops-audit-event-list"),
]
