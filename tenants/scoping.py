"""Tenant scoping that fails closed.

A tenant-owned model's ``objects`` manager refuses to evaluate a queryset that was not narrowed to one
organization with ``for_organization(org)``. Code that legitimately reads across tenants — the operator console,
system tasks — says so with ``unscoped()``, which is easy to grep for and to review.

Related managers (``organization.memberships``, ``user.memberships``) are built from this manager too; they are
narrowed by the relation to an object you already hold, so they count as scoped. Django's deletion collector
and forward foreign keys use the plain base manager and are unaffected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from tenants.models import Organization

M = TypeVar("M", bound=models.Model)


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried without naming its organization."""


class TenantQuerySet(models.QuerySet[M]):
    _tenant_scope: str | None = None

    def for_organization(self, organization: Organization | None) -> Self:
        if organization is None or organization.pk is None:
            raise UnscopedQueryError(f"{self.model.__name__} must be queried for a saved organization, got None.")
        clone = self.filter(organization=organization)
        clone._tenant_scope = f"organization:{organization.pk}"
        return clone

    def unscoped(self) -> Self:
        """Read across all organizations. Only for the operator console and system tasks."""
        clone = self.all()
        clone._tenant_scope = "unscoped"
        return clone

    def _check_scoped(self) -> None:
        if self._tenant_scope is None:
            raise UnscopedQueryError(
                f"{self.model.__name__} is tenant-owned: use .for_organization(org), or .unscoped() in "
                "operator and system code."
            )

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]  # private in django-stubs
        clone._tenant_scope = self._tenant_scope
        return clone

    def _fetch_all(self) -> None:
        self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._check_scoped()
        return super().count()

    def exists(self) -> bool:
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scoped()
        return super().delete()


class TenantManager(models.Manager[M]):
    """``Model.objects``: fails closed unless narrowed to an organization."""

    def get_queryset(self) -> TenantQuerySet[M]:
        queryset: TenantQuerySet[M] = TenantQuerySet(self.model, using=self._db)
        if hasattr(self, "core_filters"):
            # A related manager: Django narrows it to the instance it hangs from right after this call.
            queryset._tenant_scope = "relation"
        return queryset

    def for_organization(self, organization: Organization | None) -> TenantQuerySet[M]:
        return self.get_queryset().for_organization(organization)

    def unscoped(self) -> TenantQuerySet[M]:
        return self.get_queryset().unscoped()


class TenantOwnedModel(models.Model):
    """Base for every model that belongs to one organization. Subclasses declare the ``organization`` FK."""

    objects: TenantManager[Any] = TenantManager()

    class Meta:
        abstract = True
