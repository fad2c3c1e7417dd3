"""The onboarding and team pages. A plain list: portal/web/urls.py includes it, so the names are ``portal:...``."""

from __future__ import annotations

from django.urls import path

from tenants.web import gdpr, views

urlpatterns = [
    path("signup/", views.signup_company, name="signup"),
    path("signup/account/", views.signup_account, name="signup-account"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("legal/<str:kind>/", views.legal_document, name="legal-document"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("invitations/<str:token>/accept/", views.invitation_accept, name="invitation-accept"),
    path("invitations/<str:token>/decline/", views.invitation_decline, name="invitation-decline"),
    path("invitations/<str:token>/register/", views.invitation_register, name="invitation-register"),
    path("orgs/switch/", views.organization_switch, name="organization-switch"),
    path("orgs/<slug:organization_slug>/members/", views.members, name="members"),
    path("orgs/<slug:organization_slug>/members/invite/", views.members_invite, name="members-invite"),
    path("orgs/<slug:organization_slug>/members/leave/", views.members_leave, name="members-leave"),
    path("orgs/<slug:organization_slug>/members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path(
        "orgs/<slug:organization_slug>/members/<int:membership_id>/remove/", views.member_remove, name="member-remove"
    ),
    path(
        "orgs/<slug:organization_slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("orgs/<slug:organization_slug>/api-keys/", views.api_keys, name="api-keys"),
    path(
        "orgs/<slug:organization_slug>/api-keys/<int:api_key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"
    ),
    path("account/delete/", gdpr.account_delete, name="account-delete"),
    path("orgs/<slug:organization_slug>/export/", gdpr.organization_data_export, name="organization-export"),
    path("orgs/<slug:organization_slug>/legal/", views.legal_consents, name="legal-consents"),
    path("orgs/<slug:organization_slug>/legal/accept/", views.legal_consents_accept, name="legal-consents-accept"),
]
