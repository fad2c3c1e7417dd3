from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("favicon.ico", lambda request: HttpResponse(status=204)),  # Chromium asks; a 404 is a console error
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
