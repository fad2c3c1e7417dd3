"""The catalog's data: hardware and flavors, NVIDIA software, the price book and quotes."""

from catalog.models.hardware import AvailabilityZone, Flavor, GpuModel, NodeType, Region, ZoneCapacity
from catalog.models.items import CatalogItem, CatalogItemUseCase, CatalogItemVersion
from catalog.models.prices import ComputePrice, LicensePrice, PriceList
from catalog.models.quotes import Quote, QuoteLine

__all__ = [
    "AvailabilityZone",
    "CatalogItem",
    "CatalogItemUseCase",
    "CatalogItemVersion",
    "ComputePrice",
    "Flavor",
    "GpuModel",
    "LicensePrice",
    "NodeType",
    "PriceList",
    "Quote",
    "QuoteLine",
    "Region",
    "ZoneCapacity",
]
