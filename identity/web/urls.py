from __future__ import annotations

from django.urls import path

from identity.web import views

app_name = "identity"

urlpatterns = [
    path("sso/", views.company_sign_in, name="company-sign-in"),
]
