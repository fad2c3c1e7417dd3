"""The operator console's view of provisioning: instances (failures first), retry and force-release, drift."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from provisioning.models import DriftFinding, Instance
from provisioning.services import instance_force_release, instance_retry
from tenants.admin import TenantOwnedAdminMixin
from tenants.audit import Actor


@admin.register(Instance)
class InstanceAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "organization",
        "state",
        "cloud_server_id",
        "attempts",
        "last_error",
        "started_at",
        "stopped_at",
    )
    list_filter = ("state",)
    search_fields = ("cloud_server_id", "organization__legal_name", "reservation__id")
    list_select_related = ("organization", "reservation")
    readonly_fields = (
        "organization",
        "reservation",
        "index",
        "state",
        "cloud_server_id",
        "address",
        "ssh_user",
        "service_url",
        "attempts",
        "last_error",
        "started_at",
        "stopped_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-updated_at",)
    actions = ["retry", "force_release"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _each(self, request: HttpRequest, queryset: QuerySet[Instance], service: Any, done: Any) -> None:
        actor = Actor.from_request(request)
        count = 0
        for instance in queryset:
            try:
                service(actor=actor, instance=instance)
            except ValidationError as exc:
                self.message_user(request, f"{instance}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Retry provisioning of the selected instances"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Instance]) -> None:
        self._each(request, queryset, instance_retry, _("%(count)d instance(s) queued again."))

    @admin.action(description=_("Force-release: fail the reservation, free its GPUs, remove its servers"))
    def force_release(self, request: HttpRequest, queryset: QuerySet[Instance]) -> None:
        self._each(request, queryset, instance_force_release, _("%(count)d reservation(s) released."))


@admin.register(DriftFinding)
class DriftFindingAdmin(admin.ModelAdmin):
    list_display = ("detected_at", "kind", "server_id", "instance", "repaired", "detail")
    list_filter = ("kind", "repaired")
    search_fields = ("server_id", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
