"""The operator console's view of provisioning: instances (failures first), retry and force-release, drift.

Errors show as a sentence saying what kind of problem it is (``provisioning.failures``); the cloud's raw error text
is one click away, collapsed, for whoever has to dig deeper.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from provisioning.failures import failure_summary
from provisioning.models import DriftFinding, Instance
from provisioning.services import instance_force_release, instance_retry
from tenants.admin import TenantOwnedAdminMixin
from tenants.audit import Actor


def problem_with_detail(error: str) -> SafeString | str:
    """The problem in words, then the raw error in a collapsed ``<details>``; a dash for none."""
    if not error.strip():
        return "—"
    return format_html(
        '<p class="kontor-problem">{}</p><details class="kontor-raw"><summary>{}</summary><pre>{}</pre></details>',
        failure_summary(error),
        _("Technical detail"),
        error,
    )


class HasProblemFilter(admin.SimpleListFilter):
    title = _("problem")
    parameter_name = "problem"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("with an error")), ("no", _("without an error"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Instance]) -> QuerySet[Instance]:
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


@admin.register(Instance)
class InstanceAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = ("instance", "organization", "state", "status_polls", "problem", "started_at", "updated_at")
    list_filter = ("state", HasProblemFilter)
    search_fields = ("name", "cloud_server_id", "organization__legal_name", "reservation__id")
    list_select_related = ("organization", "reservation")
    fieldsets = (
        (None, {"fields": ("organization", "reservation", "name", "state", "problem_detail")}),
        (_("In the cloud"), {"fields": ("cloud_server_id", "address", "ssh_user", "service_url", "status_polls")}),
        (_("Times"), {"fields": ("started_at", "stopped_at", "created_at", "updated_at")}),
    )
    readonly_fields = (
        "organization",
        "reservation",
        "name",
        "state",
        "problem_detail",
        "cloud_server_id",
        "address",
        "ssh_user",
        "service_url",
        "status_polls",
        "started_at",
        "stopped_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-updated_at",)
    actions = ["retry", "force_release"]

    @admin.display(description=_("instance"), ordering="reservation_id")
    def instance(self, obj: Instance) -> str:
        return str(_("%(name)s (reservation %(reservation)s)") % {"name": obj.name, "reservation": obj.reservation_id})

    @admin.display(description=_("problem"))
    def problem(self, obj: Instance) -> str:
        return failure_summary(obj.last_error) or "—"

    @admin.display(description=_("problem"))
    def problem_detail(self, obj: Instance) -> SafeString | str:
        return problem_with_detail(obj.last_error)

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
                self.message_user(request, f"{instance.name}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done(count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Retry provisioning of the selected instances"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Instance]) -> None:
        self._each(
            request,
            queryset,
            instance_retry,
            lambda n: ngettext("%(count)d instance queued again.", "%(count)d instances queued again.", n),
        )

    @admin.action(description=_("Force-release: fail the reservation, free its GPUs, remove its servers"))
    def force_release(self, request: HttpRequest, queryset: QuerySet[Instance]) -> None:
        self._each(
            request,
            queryset,
            instance_force_release,
            lambda n: ngettext("%(count)d reservation released.", "%(count)d reservations released.", n),
        )


@admin.register(DriftFinding)
class DriftFindingAdmin(admin.ModelAdmin):
    list_display = ("detected_at", "kind", "server_id", "instance", "repaired", "detail")
    list_filter = ("kind", "repaired")
    search_fields = ("server_id", "detail")
    list_select_related = ("instance",)
    ordering = ("-detected_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
