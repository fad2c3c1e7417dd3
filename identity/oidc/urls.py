"""allauth mounts the URLs of a provider class's package: Kontor's hardened views at allauth's paths and names."""

from __future__ import annotations

from django.urls import path

from identity.oidc.provider import callback, login

urlpatterns = [
    path("oidc/<str:provider_id>/login/", login, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", callback, name="openid_connect_callback"),
]
