from __future__ import annotations

from django.urls import path

from billing.api import profile, views

org = "organizations/<slug:organization_slug>"
urlpatterns = [
    path(
        f"{org}/billing-profile/",
        profile.BillingProfileViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="billing-profile",
    ),
    path(f"{org}/invoices/", views.InvoiceViewSet.as_view({"get": "list"}), name="invoice-list"),
    path(f"{org}/invoices/<int:pk>/", views.InvoiceViewSet.as_view({"get": "retrieve"}), name="invoice-detail"),
    path(f"{org}/invoices/<int:pk>/pdf/", views.InvoiceViewSet.as_view({"get": "pdf"}), name="invoice-pdf"),
    path(f"{org}/invoices/<int:pk>/xml/", views.InvoiceViewSet.as_view({"get": "xml"}), name="invoice-xml"),
    path(
        f"{org}/invoices/<int:pk>/xrechnung/",
        views.InvoiceViewSet.as_view({"get": "xrechnung"}),
        name="invoice-xrechnung",
    ),
]
