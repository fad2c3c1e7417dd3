from __future__ import annotations

from django.urls import path

from billing import web_spend

urlpatterns = [
    path("orgs/<slug:organization_slug>/spend/", web_spend.spend, name="organization-spend"),
]
