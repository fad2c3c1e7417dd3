from __future__ import annotations

from django.urls import path

from catalog.web import views

app_name = "catalog"

urlpatterns = [
    path("catalog/", views.item_list, name="item-list"),
    path("catalog/<slug:item_slug>/", views.item_detail, name="item-detail"),
    path("catalog/<slug:item_slug>/quote/", views.quote_request, name="quote-request"),
    path("prices/", views.price_list, name="price-list"),
    path("orgs/<slug:organization_slug>/quotes/<int:quote_id>/", views.quote_detail, name="quote-detail"),
]
