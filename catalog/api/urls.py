from __future__ import annotations

from typing import Any

from django.urls import path

from catalog.api import views

app_name = "catalog-api"

LIST: dict[str, Any] = {"get": "list"}
RETRIEVE: dict[str, Any] = {"get": "retrieve"}

urlpatterns = [
    path("catalog/items/", views.CatalogItemViewSet.as_view(LIST), name="item-list"),
    path("catalog/items/<slug:item_slug>/", views.CatalogItemViewSet.as_view(RETRIEVE), name="item-detail"),
    path(
        "catalog/items/<slug:item_slug>/versions/",
        views.CatalogItemVersionViewSet.as_view(LIST),
        name="version-list",
    ),
    path(
        "catalog/items/<slug:item_slug>/versions/<str:tag>/",
        views.CatalogItemVersionViewSet.as_view(RETRIEVE),
        name="version-detail",
    ),
    path("catalog/flavors/", views.FlavorViewSet.as_view(LIST), name="flavor-list"),
    path("catalog/flavors/<slug:flavor_slug>/", views.FlavorViewSet.as_view(RETRIEVE), name="flavor-detail"),
    path("catalog/regions/", views.RegionViewSet.as_view(LIST), name="region-list"),
    path("catalog/regions/<slug:region_slug>/", views.RegionViewSet.as_view(RETRIEVE), name="region-detail"),
    path("catalog/zones/", views.ZoneViewSet.as_view(LIST), name="zone-list"),
    path("catalog/zones/<slug:zone_slug>/", views.ZoneViewSet.as_view(RETRIEVE), name="zone-detail"),
    path("catalog/prices/", views.PriceListViewSet.as_view({"get": "current"}), name="prices-current"),
    path("catalog/price-lists/", views.PriceListViewSet.as_view(LIST), name="price-list-list"),
    path(
        "catalog/price-lists/<int:price_list_id>/",
        views.PriceListViewSet.as_view(RETRIEVE),
        name="price-list-detail",
    ),
    path(
        "organizations/<slug:organization_slug>/quotes/",
        views.QuoteViewSet.as_view({"get": "list", "post": "create"}),
        name="quote-list",
    ),
    path(
        "organizations/<slug:organization_slug>/quotes/<int:quote_id>/",
        views.QuoteViewSet.as_view(RETRIEVE),
        name="quote-detail",
    ),
]
