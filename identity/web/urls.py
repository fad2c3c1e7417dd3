from __future__ import annotations

from django.urls import path

from identity.web import settings_views, views

app_name = "identity"

urlpatterns = [
    path("sso/", views.company_sign_in, name="company-sign-in"),
    path("orgs/<slug:organization_slug>/sign-in/", settings_views.sign_in_settings, name="sign-in-settings"),
]
