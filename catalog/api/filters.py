from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from catalog.choices import Deployment, ItemKind, License, UseCase
from catalog.models import AvailabilityZone, CatalogItem, Flavor
from catalog.selectors import catalog_item_filter


class CatalogItemFilter(django_filters.FilterSet):
    """Validates the list's query parameters; ``catalog.selectors.catalog_item_filter`` applies them."""

    q = django_filters.CharFilter(method="defer", help_text="Words in the name, summary or publisher.")
    use_case = django_filters.ChoiceFilter(choices=UseCase.choices, method="defer")
    license = django_filters.ChoiceFilter(choices=License.choices, method="defer")
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices, method="defer")
    gpu_model = django_filters.CharFilter(
        method="defer", help_text="GPU model slug (b200, rtx-pro-6000): items that can run on it."
    )

    class Meta:
        model = CatalogItem
        fields = ["q", "use_case", "license", "kind", "gpu_model"]

    def defer(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset  # applied together in filter_queryset, by the selector

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.form.cleaned_data
        return catalog_item_filter(
            queryset,
            search=(data.get("q") or "").strip(),
            use_case=data.get("use_case") or "",
            license=data.get("license") or "",
            kind=data.get("kind") or "",
            gpu_model=data.get("gpu_model") or "",
        )


class FlavorFilter(django_filters.FilterSet):
    gpu_model = django_filters.CharFilter(field_name="node_type__gpu_model__slug", help_text="GPU model slug.")
    deployment = django_filters.ChoiceFilter(choices=Deployment.choices)
    gpu_count = django_filters.NumberFilter()

    class Meta:
        model = Flavor
        fields = ["gpu_model", "deployment", "gpu_count"]


class ZoneFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__slug", help_text="Region slug.")

    class Meta:
        model = AvailabilityZone
        fields = ["region"]
