"""The NVIDIA catalog: NGC containers, NIM microservices and Helm charts, their versions and use cases."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.choices import ItemKind, License, UseCase


class CatalogItem(models.Model):
    """A piece of NVIDIA software a customer can run, with what it needs from the hardware.

    Invariants: the slug is unique and never changes (URLs and quotes name it); kind and license are one of their
    choices. The hardware requirements hold for every version of the item and are what
    ``catalog.compatibility`` checks flavors against: ``min_gpu_memory_gb`` is the memory each GPU must have,
    ``requires_ray_tracing`` needs GPUs with ray-tracing cores, ``requires_whole_node`` needs every GPU of a node,
    ``requires_nvlink`` needs a node whose GPUs are connected by NVLink. An unpublished item is not shown or quoted.
    """

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    publisher = models.CharField(_("publisher"), max_length=100, default="NVIDIA")
    summary = models.CharField(_("short description"), max_length=240)
    description = models.TextField(_("description"), blank=True)
    repository = models.CharField(
        _("image or chart repository"),
        max_length=200,
        help_text=_("Without the tag, e.g. nvcr.io/nvidia/pytorch. Versions add the tag."),
    )
    license = models.CharField(_("license"), max_length=16, choices=License.choices, default=License.NGC_FREE)
    license_terms = models.CharField(
        _("further license terms"), max_length=200, blank=True, help_text=_("E.g. a model license such as Meta's.")
    )
    min_gpu_memory_gb = models.PositiveIntegerField(_("minimum memory per GPU (GB)"), default=0)
    requires_ray_tracing = models.BooleanField(_("needs ray-tracing cores"), default=False)
    requires_whole_node = models.BooleanField(_("needs a whole node"), default=False)
    requires_nvlink = models.BooleanField(_("needs NVLink"), default=False)
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ItemKind.values), name="catalog_item_kind_valid"),
            models.CheckConstraint(condition=models.Q(license__in=License.values), name="catalog_item_license_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_licensed(self) -> bool:
        """Whether running it adds a license fee per GPU-hour."""
        return self.license != License.NGC_FREE


class CatalogItemUseCase(models.Model):
    """A use-case category an item is listed under.

    Invariants: each category at most once per item, and one of ``UseCase``.
    """

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="use_cases")
    use_case = models.CharField(_("use case"), max_length=32, choices=UseCase.choices)

    class Meta:
        verbose_name = _("use case")
        verbose_name_plural = _("use cases")
        ordering = ["use_case"]
        constraints = [
            models.UniqueConstraint(fields=["item", "use_case"], name="catalog_itemusecase_unique"),
            models.CheckConstraint(
                condition=models.Q(use_case__in=UseCase.values), name="catalog_itemusecase_use_case_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(UseCase(self.use_case).label)


class CatalogItemVersion(models.Model):
    """One released version (image tag or chart version) of a catalog item.

    Invariants: a tag appears once per item; the newest version is the one released last (ties: the one added
    last). A version that was quoted cannot be deleted (quotes protect it, and so its item).
    """

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="versions", verbose_name=_("item"))
    tag = models.CharField(_("tag"), max_length=80)
    released_on = models.DateField(_("released"))
    notes = models.CharField(_("notes"), max_length=240, blank=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-released_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "tag"], name="catalog_itemversion_unique_tag"),
            models.CheckConstraint(condition=~models.Q(tag=""), name="catalog_itemversion_tag_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.tag}"

    @property
    def reference(self) -> str:
        """What to pull: ``nvcr.io/nvidia/pytorch:24.12-py3``."""
        return f"{self.item.repository}:{self.tag}"
