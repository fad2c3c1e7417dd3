from __future__ import annotations

from django.urls import path

from metering.api import views

org = "organizations/<slug:organization_slug>"
urlpatterns = [
    path(f"{org}/usage/", views.UsageRecordViewSet.as_view({"get": "list"}), name="usage-list"),
]
