"""The invoice pages. A plain list: portal/web/urls.py includes it, so the names are ``portal:...``."""

from __future__ import annotations

from django.urls import path

from billing.web import profile, spend, usage, views

org = "orgs/<slug:organization_slug>"
urlpatterns = [
    path(f"{org}/spend/", spend.spend, name="organization-spend"),
    path(f"{org}/usage/", usage.usage, name="organization-usage"),
    path(f"{org}/invoices/", views.invoice_list_page, name="invoice-list"),
    path(f"{org}/billing-profile/", profile.billing_profile_page, name="billing-profile"),
    path(
        f"{org}/invoices/<int:invoice_id>/<str:kind>/",
        views.invoice_file_download,
        name="invoice-file",
    ),
]
