"""Input validation and output shapes of the catalog API. Money is a string of a Decimal, never a float."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.choices import CURRENCY, Commitment, ItemKind, QuoteLineKind, QuoteStatus
from catalog.compatibility import Rule
from catalog.models import (
    AvailabilityZone,
    CatalogItem,
    CatalogItemVersion,
    ComputePrice,
    Flavor,
    GpuModel,
    LicensePrice,
    PriceList,
    Quote,
    QuoteLine,
    Region,
)
from catalog.selectors import catalog_item_get, catalog_item_version_get, flavor_get
from portal.api import fields as api_fields

# --- Hardware ------------------------------------------------------------------------------------------------------


class GpuModelSerializer(serializers.ModelSerializer[GpuModel]):
    class Meta:
        model = GpuModel
        fields = ["slug", "name", "architecture", "memory_gb", "has_ray_tracing_cores"]
        read_only_fields = fields


class NodeTypeSummarySerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    gpus_per_node = serializers.IntegerField()
    has_nvlink = serializers.BooleanField()
    has_infiniband = serializers.BooleanField()


class FlavorSerializer(serializers.ModelSerializer[Flavor]):
    gpu_model = GpuModelSerializer(source="node_type.gpu_model", read_only=True)
    node_type = NodeTypeSummarySerializer(read_only=True)
    gpu_memory_gb = serializers.IntegerField(read_only=True, help_text="GPU memory of one instance, all GPUs.")
    is_whole_node = serializers.BooleanField(read_only=True)

    class Meta:
        model = Flavor
        fields = [
            "slug",
            "name",
            "gpu_count",
            "deployment",
            "vcpus",
            "ram_gb",
            "local_disk_gb",
            "gpu_memory_gb",
            "is_whole_node",
            "gpu_model",
            "node_type",
        ]
        read_only_fields = fields


class ZoneSummarySerializer(serializers.ModelSerializer[AvailabilityZone]):
    class Meta:
        model = AvailabilityZone
        fields = ["slug", "name"]
        read_only_fields = fields


class ZoneSerializer(serializers.ModelSerializer[AvailabilityZone]):
    region: serializers.SlugRelatedField[AvailabilityZone] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = AvailabilityZone
        fields = ["slug", "name", "region"]
        read_only_fields = fields


class RegionSerializer(serializers.ModelSerializer[Region]):
    zones = ZoneSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Region
        fields = ["slug", "name", "city", "country", "zones"]
        read_only_fields = fields


# --- Catalog -------------------------------------------------------------------------------------------------------


def named_enum(choices: type[models.TextChoices], component_name: str) -> type[serializers.ChoiceField]:
    """A choice field documented as its own named enum: field names such as ``kind`` and ``status`` carry other
    choice sets elsewhere in the API, and the schema would otherwise name them by hash."""

    @extend_schema_field({"type": "string", "enum": choices.values}, component_name=component_name)
    class NamedChoiceField(serializers.ChoiceField):
        pass

    return NamedChoiceField


ItemKindField = named_enum(ItemKind, "CatalogItemKindEnum")
QuoteLineKindField = named_enum(QuoteLineKind, "QuoteLineKindEnum")
QuoteStatusField = named_enum(QuoteStatus, "QuoteStatusEnum")


class RequirementsSerializer(serializers.Serializer[Any]):
    min_gpu_memory_gb = serializers.IntegerField(help_text="Memory each GPU must have.")
    requires_ray_tracing = serializers.BooleanField()
    requires_whole_node = serializers.BooleanField()
    requires_nvlink = serializers.BooleanField()


class LatestVersionSerializer(serializers.Serializer[Any]):
    tag = serializers.CharField(source="latest_tag")
    released_on = serializers.DateField(source="latest_released_on")


class VersionSerializer(serializers.ModelSerializer[CatalogItemVersion]):
    reference = serializers.CharField(read_only=True, help_text="What to pull, e.g. nvcr.io/nvidia/pytorch:24.12-py3.")

    class Meta:
        model = CatalogItemVersion
        fields = ["tag", "released_on", "reference", "notes"]
        read_only_fields = fields


class CatalogItemSerializer(serializers.ModelSerializer[CatalogItem]):
    kind = ItemKindField(choices=ItemKind.choices, read_only=True)
    use_cases = serializers.SerializerMethodField()
    requirements = RequirementsSerializer(source="*", read_only=True)
    latest_version = serializers.SerializerMethodField()
    runs_on = serializers.SerializerMethodField()

    class Meta:
        model = CatalogItem
        fields = [
            "slug",
            "name",
            "kind",
            "publisher",
            "summary",
            "license",
            "license_terms",
            "use_cases",
            "requirements",
            "latest_version",
            "runs_on",
        ]
        read_only_fields = fields

    def get_use_cases(self, item: CatalogItem) -> list[str]:
        return [row.use_case for row in item.use_cases.all()]

    @extend_schema_field(LatestVersionSerializer(allow_null=True))
    def get_latest_version(self, item: CatalogItem) -> dict[str, Any] | None:
        if getattr(item, "latest_tag", None) is None:
            return None
        return dict(LatestVersionSerializer(item).data)

    def get_runs_on(self, item: CatalogItem) -> list[str]:
        """GPU models with at least one offered flavor that can run the item (slugs)."""
        runs_on: dict[int, list[GpuModel]] = self.context.get("runs_on", {})
        return [gpu.slug for gpu in runs_on.get(item.pk, [])]


class CatalogItemDetailSerializer(CatalogItemSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(CatalogItemSerializer.Meta):
        fields = [*CatalogItemSerializer.Meta.fields, "description", "repository", "versions"]
        read_only_fields = fields

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, item: CatalogItem) -> list[dict[str, Any]]:
        """Every version, newest first."""
        return list(VersionSerializer(self.context["versions"], many=True).data)


# --- Prices --------------------------------------------------------------------------------------------------------


class PriceListSummarySerializer(serializers.ModelSerializer[PriceList]):
    class Meta:
        model = PriceList
        fields = ["id", "name", "currency", "effective_from"]
        read_only_fields = fields


class ComputePriceSerializer(serializers.ModelSerializer[ComputePrice]):
    flavor: serializers.SlugRelatedField[ComputePrice] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, read_only=True, help_text="EUR per GPU-hour, before VAT."
    )

    class Meta:
        model = ComputePrice
        fields = ["flavor", "commitment", "unit_price"]
        read_only_fields = fields


class LicensePriceSerializer(serializers.ModelSerializer[LicensePrice]):
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        read_only=True,
        help_text="EUR per GPU-hour added to compute, before VAT; 0 means included.",
    )

    class Meta:
        model = LicensePrice
        fields = ["license", "commitment", "unit_price"]
        read_only_fields = fields


class PriceListDetailSerializer(PriceListSummarySerializer):
    compute_prices = ComputePriceSerializer(many=True, read_only=True)
    license_prices = LicensePriceSerializer(many=True, read_only=True)

    class Meta(PriceListSummarySerializer.Meta):
        fields = [*PriceListSummarySerializer.Meta.fields, "compute_prices", "license_prices"]
        read_only_fields = fields


class CommitmentPricesSerializer(serializers.Serializer[Any]):
    on_demand = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    reserved_1m = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    reserved_12m = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)


class CompatibleFlavorSerializer(serializers.Serializer[Any]):
    flavor = FlavorSerializer()
    price_per_gpu_hour = CommitmentPricesSerializer(help_text="Compute plus the item's license add-on, EUR.")
    price_per_instance_hour = CommitmentPricesSerializer(help_text="The same for one instance (all its GPUs), EUR.")


class IncompatibilitySerializer(serializers.Serializer[Any]):
    rule = serializers.ChoiceField(choices=[rule.value for rule in Rule])
    reason = serializers.CharField()


class IncompatibleFlavorSerializer(serializers.Serializer[Any]):
    flavor = FlavorSerializer()
    reasons = IncompatibilitySerializer(many=True)


class VersionDetailSerializer(serializers.Serializer[Any]):
    item = serializers.SlugField()
    tag = serializers.CharField()
    released_on = serializers.DateField()
    reference = serializers.CharField()
    notes = serializers.CharField()
    price_list = PriceListSummarySerializer(allow_null=True)
    compatible_flavors = CompatibleFlavorSerializer(many=True)
    incompatible_flavors = IncompatibleFlavorSerializer(many=True)


# --- Quotes --------------------------------------------------------------------------------------------------------


class QuoteCreateSerializer(serializers.Serializer[Any]):
    """What to quote. Windows are whole hours; the service checks every rule and the compatibility."""

    item = serializers.SlugField(help_text="Catalog item slug, e.g. nemo.")
    version = serializers.CharField(max_length=80, help_text="Version tag of the item, e.g. 25.09.")
    flavor = serializers.SlugField(help_text="Flavor slug, e.g. b200-x8-metal.")
    instance_count = serializers.IntegerField(help_text="Instances of the flavor, 1 to 64.")
    commitment = serializers.ChoiceField(choices=Commitment.choices)
    starts_at = api_fields.DateTimeField(help_text="Not in the past (a minute of grace), at most 365 days ahead.")
    ends_at = api_fields.DateTimeField(help_text="A whole number of hours after the start, at most 372 days.")
    currency = serializers.CharField(max_length=8, default=CURRENCY, help_text="EUR, the only currency.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        item = catalog_item_get(slug=attrs["item"])
        if item is None:
            raise serializers.ValidationError(
                {"item": [_("There is no catalog item %(slug)s.") % {"slug": attrs["item"]}]}
            )
        version = catalog_item_version_get(item=item, tag=attrs["version"])
        errors: dict[str, list[str]] = {}
        if version is None:
            errors["version"] = [_("%(item)s has no version %(tag)s.") % {"item": item.name, "tag": attrs["version"]}]
        flavor = flavor_get(slug=attrs["flavor"])
        if flavor is None:
            errors["flavor"] = [_("There is no flavor %(slug)s.") % {"slug": attrs["flavor"]}]
        if errors:
            raise serializers.ValidationError(errors)
        return {**attrs, "item": item, "version": version, "flavor": flavor}


class QuoteLineSerializer(serializers.ModelSerializer[QuoteLine]):
    kind = QuoteLineKindField(choices=QuoteLineKind.choices, read_only=True)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True, help_text="GPU-hours.")
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, read_only=True, help_text="EUR per GPU-hour."
    )
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = QuoteLine
        fields = ["position", "kind", "description", "quantity", "unit_price", "net_amount"]
        read_only_fields = fields


class QuoteVatSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(source="vat_category", help_text="EN 16931 VAT category: S, AE or O.")
    rate = serializers.DecimalField(source="vat_rate", max_digits=5, decimal_places=2, help_text="Percent.")
    amount = serializers.DecimalField(source="vat_amount", max_digits=14, decimal_places=2)
    note = serializers.CharField(source="vat_note")


class QuoteSerializer(serializers.ModelSerializer[Quote]):
    organization: serializers.SlugRelatedField[Quote] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    item = serializers.SlugField(source="item_version.item.slug", read_only=True)
    version = serializers.CharField(source="item_version.tag", read_only=True)
    reference = serializers.CharField(source="item_version.reference", read_only=True)
    flavor: serializers.SlugRelatedField[Quote] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    hours = serializers.IntegerField(read_only=True)
    price_list = PriceListSummarySerializer(read_only=True)
    compute_unit_price = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True)
    license_unit_price = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    vat = QuoteVatSerializer(source="*", read_only=True)
    gross_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "organization",
            "item",
            "version",
            "reference",
            "flavor",
            "instance_count",
            "commitment",
            "starts_at",
            "ends_at",
            "hours",
            "currency",
            "price_list",
            "compute_unit_price",
            "license_unit_price",
            "lines",
            "net_amount",
            "vat",
            "gross_amount",
            "created_at",
            "valid_until",
            "status",
            "created_by_label",
        ]
        read_only_fields = fields

    @extend_schema_field(QuoteStatusField(choices=QuoteStatus.choices))
    def get_status(self, quote: Quote) -> str:
        """``open`` until ``valid_until``, then ``expired``."""
        return str(quote.status(timezone.now()))
