"""Where the GPUs are and what a customer can order: regions, zones, GPU models, node types, flavors, capacity."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from catalog.choices import FLAVOR_GPU_COUNTS, Deployment

# The cities Kontor's regions may be in, as written in English in the data ("Munich 1a"); each has a German name in
# the catalogue (München). A region or zone name starting with one of them is shown with the city translated.
CITY_NAMES = (
    gettext_noop("Munich"),
    gettext_noop("Frankfurt"),
    gettext_noop("Nuremberg"),
    gettext_noop("Cologne"),
    gettext_noop("Berlin"),
    gettext_noop("Hamburg"),
)


def place_display_name(name: str) -> str:
    """A region's or zone's name with its leading city in the active language: ``Munich 1a`` → ``München 1a``."""
    for city in CITY_NAMES:
        if name == city or name.startswith(f"{city} "):
            return gettext(city) + name[len(city) :]
    return name


class Region(models.Model):
    """A cloud region, in Germany.

    Invariants: the slug is unique and never changes (APIs and the inventory name it); the country is an upper-case
    ISO 3166-1 alpha-2 code, and it is ``DE``: all data is processed in Germany.
    """

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=models.Q(country="DE"), name="catalog_region_in_germany"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name as shown to people, with the city in the active language (``place_display_name``)."""
        return place_display_name(self.name)

    @property
    def city_display_name(self) -> str:
        return place_display_name(self.city)


class AvailabilityZone(models.Model):
    """An availability zone of a region: its own power, cooling and network.

    Invariants: the slug is unique across regions and never changes; a zone belongs to exactly one region, which
    cannot be deleted while it has zones.
    """

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="zones", verbose_name=_("region"))
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("availability zone")
        verbose_name_plural = _("availability zones")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name as shown to people, with the city in the active language (``place_display_name``)."""
        return place_display_name(self.name)


class GpuModel(models.Model):
    """A GPU model, e.g. the NVIDIA B200 (180 GB) or the RTX PRO 6000 Blackwell Server Edition (96 GB).

    Invariants: the slug is unique; every GPU has memory (more than 0 GB). ``has_ray_tracing_cores`` is what
    Omniverse and Isaac Sim need (the B200 has none).
    """

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    architecture = models.CharField(_("architecture"), max_length=40, blank=True)
    memory_gb = models.PositiveIntegerField(_("GPU memory (GB)"))
    has_ray_tracing_cores = models.BooleanField(_("ray-tracing cores"), default=False)

    class Meta:
        verbose_name = _("GPU model")
        verbose_name_plural = _("GPU models")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=models.Q(memory_gb__gt=0), name="catalog_gpumodel_memory_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class NodeType(models.Model):
    """A kind of server in the data centre: its GPUs and how they are connected.

    Invariants: the slug is unique; a node has 1 to 16 GPUs of one model; CPU, memory and disk are positive.
    """

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    gpu_model = models.ForeignKey(
        GpuModel, on_delete=models.PROTECT, related_name="node_types", verbose_name=_("GPU model")
    )
    gpus_per_node = models.PositiveSmallIntegerField(_("GPUs per node"))
    has_nvlink = models.BooleanField(_("NVLink between its GPUs"), default=False)
    has_infiniband = models.BooleanField(_("InfiniBand"), default=False)
    vcpus = models.PositiveIntegerField(_("vCPUs"))
    ram_gb = models.PositiveIntegerField(_("RAM (GB)"))
    local_disk_gb = models.PositiveIntegerField(_("local NVMe disk (GB)"))

    class Meta:
        verbose_name = _("node type")
        verbose_name_plural = _("node types")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gpus_per_node__gte=1, gpus_per_node__lte=16), name="catalog_nodetype_gpus_range"
            ),
            models.CheckConstraint(
                condition=models.Q(vcpus__gt=0, ram_gb__gt=0, local_disk_gb__gt=0),
                name="catalog_nodetype_resources_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Flavor(models.Model):
    """A shape a customer orders: 1, 2, 4 or 8 GPUs of one node type as a VM, or a whole node as bare metal.

    Invariants: the slug is unique and never changes (quotes, prices and the API name it); ``gpu_count`` is 1, 2, 4
    or 8; vCPU and RAM are positive. A flavor never has more GPUs than its node, and a bare-metal flavor is the whole
    node (``gpu_count == node_type.gpus_per_node``): the database cannot compare across tables, so
    ``catalog.compatibility.flavor_shape_errors`` checks it wherever flavors are written (console, seed). A flavor
    that is not active is not offered, quoted or priced.
    """

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    node_type = models.ForeignKey(
        NodeType, on_delete=models.PROTECT, related_name="flavors", verbose_name=_("node type")
    )
    gpu_count = models.PositiveSmallIntegerField(_("GPUs"))
    deployment = models.CharField(_("deployment"), max_length=16, choices=Deployment.choices, default=Deployment.VM)
    vcpus = models.PositiveIntegerField(_("vCPUs"))
    ram_gb = models.PositiveIntegerField(_("RAM (GB)"))
    local_disk_gb = models.PositiveIntegerField(_("local NVMe disk (GB)"))
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("flavor")
        verbose_name_plural = _("flavors")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gpu_count__in=FLAVOR_GPU_COUNTS), name="catalog_flavor_gpu_count_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(deployment__in=Deployment.values), name="catalog_flavor_deployment_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(vcpus__gt=0, ram_gb__gt=0), name="catalog_flavor_resources_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def gpu_memory_gb(self) -> int:
        """GPU memory of one instance: all its GPUs together."""
        return self.gpu_count * self.node_type.gpu_model.memory_gb

    @property
    def is_whole_node(self) -> bool:
        return self.gpu_count == self.node_type.gpus_per_node


class ZoneCapacity(models.Model):
    """How many nodes of a type stand in a zone: the inventory description the reservations issue builds on.

    Invariants: one row per (zone, node type); the node count is not negative.
    """

    zone = models.ForeignKey(
        AvailabilityZone, on_delete=models.PROTECT, related_name="capacities", verbose_name=_("zone")
    )
    node_type = models.ForeignKey(
        NodeType, on_delete=models.PROTECT, related_name="capacities", verbose_name=_("node type")
    )
    node_count = models.PositiveIntegerField(_("nodes"))

    class Meta:
        verbose_name = _("zone capacity")
        verbose_name_plural = _("zone capacities")
        ordering = ["zone__slug", "node_type__slug"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "node_type"], name="catalog_zonecapacity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone}: {self.node_count} × {self.node_type}"

    @property
    def gpu_count(self) -> int:
        return self.node_count * self.node_type.gpus_per_node
