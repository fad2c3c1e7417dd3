"""The operator console's view of capacity: nodes and maintenance, reservations, allocations and quotas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reservations.allocation import free_gpus
from reservations.choices import NodeState
from reservations.models import Allocation, CapacityPool, Node, QuotaLimit, QuotaRequest, Reservation
from reservations.services import node_maintenance_impact, node_set_state, quota_request_decide
from tenants.admin import TenantOwnedAdminMixin
from tenants.audit import Actor


class MaintenanceForm(forms.Form):
    reason = forms.CharField(label=_("Reason (audit log)"), max_length=200)


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    """Nodes; "Put into maintenance" first shows which reservations it affects and where they would move."""

    list_display = ("hostname", "pool", "state", "state_reason")
    list_filter = ("state", "pool__zone", "pool__node_type", "pool__pool")
    search_fields = ("hostname",)
    list_select_related = ("pool__zone", "pool__node_type")
    readonly_fields = ("hostname", "pool", "state", "state_reason")
    actions = ["put_into_maintenance", "return_to_service"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Put into maintenance (shows the affected reservations first)"))
    def put_into_maintenance(self, request: HttpRequest, queryset: QuerySet[Node]) -> TemplateResponse | None:
        nodes = list(queryset.select_related("pool"))
        form = MaintenanceForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = Actor.from_request(request)
            for node in nodes:
                try:
                    stuck = node_set_state(
                        actor=actor, node=node, state=NodeState.MAINTENANCE, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    self.message_user(request, f"{node}: {' '.join(exc.messages)}", messages.ERROR)
                    continue
                if stuck:
                    ids = ", ".join(str(impact.reservation_id) for impact in stuck if impact.moved_to is None)
                    self.message_user(
                        request,
                        _(
                            "%(node)s stays in service: no free GPUs for reservations %(ids)s. Cancel or fail them, "
                            "then try again."
                        )
                        % {"node": node, "ids": ids},
                        messages.WARNING,
                    )
                else:
                    self.message_user(request, _("%(node)s is in maintenance.") % {"node": node}, messages.SUCCESS)
            return None
        impacts = {node.hostname: node_maintenance_impact(node=node) for node in nodes}
        return TemplateResponse(
            request,
            "admin/reservations/node/maintenance.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Put nodes into maintenance"),
                "form": form,
                "impacts": impacts,
                "nodes": nodes,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Return to service"))
    def return_to_service(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        actor = Actor.from_request(request)
        returned = 0
        for node in queryset:
            try:
                node_set_state(actor=actor, node=node, state=NodeState.AVAILABLE, reason="returned to service")
            except ValidationError as exc:
                self.message_user(request, f"{node}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            returned += 1
        if returned:
            self.message_user(request, _("Returned to service."), messages.SUCCESS)


@admin.register(CapacityPool)
class CapacityPoolAdmin(admin.ModelAdmin):
    """Capacity per zone, node type (so GPU model) and pool: nodes in service, GPUs in total and free right now."""

    list_display = (
        "zone",
        "node_type",
        "gpu_model",
        "pool",
        "nodes_available",
        "nodes_out_of_service",
        "gpus_total",
        "gpus_free_now",
    )
    list_filter = ("zone", "node_type__gpu_model", "pool")
    list_select_related = ("zone", "node_type__gpu_model")
    ordering = ("zone__slug", "node_type__slug", "pool")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CapacityPool]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                available=Count("nodes", filter=Q(nodes__state=NodeState.AVAILABLE)),
                out_of_service=Count("nodes", filter=~Q(nodes__state=NodeState.AVAILABLE)),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("GPU model"))
    def gpu_model(self, pool: CapacityPool) -> str:
        return str(pool.node_type.gpu_model)

    @admin.display(description=_("nodes in service"))
    def nodes_available(self, pool: Any) -> int:
        return int(pool.available)

    @admin.display(description=_("nodes in maintenance or retired"))
    def nodes_out_of_service(self, pool: Any) -> int:
        return int(pool.out_of_service)

    @admin.display(description=_("GPUs in service"))
    def gpus_total(self, pool: Any) -> int:
        return int(pool.available) * pool.node_type.gpus_per_node

    @admin.display(description=_("GPUs free now"))
    def gpus_free_now(self, pool: CapacityPool) -> int:
        now = timezone.now()
        return free_gpus(pool=pool, starts_at=now, ends_at=now + timedelta(seconds=1))


class AllocationInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = Allocation
    extra = 0
    fields = ("instance_index", "node", "gpu_first", "gpu_count", "starts_at", "ends_at", "released_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = ("reservation", "organization", "state", "kind", "instances", "zone", "starts_at", "ends_at")
    list_filter = ("state", "kind", "zone", "flavor")
    search_fields = ("organization__legal_name", "id", "purchase_order_reference")
    list_select_related = ("organization", "flavor", "zone")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "-id")
    readonly_fields = (
        "organization",
        "kind",
        "state",
        "state_reason",
        "quote",
        "item_version",
        "flavor",
        "instance_count",
        "zone",
        "starts_at",
        "ends_at",
        "created_by_label",
        "created_at",
    )
    inlines = [AllocationInline]

    @admin.display(description=_("reservation"), ordering="id")
    def reservation(self, obj: Reservation) -> str:
        return str(_("Reservation %(number)s") % {"number": obj.pk})

    @admin.display(description=_("instances"), ordering="instance_count")
    def instances(self, obj: Reservation) -> str:
        return f"{obj.instance_count} × {obj.flavor.name}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(QuotaLimit)
class QuotaLimitAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = ("organization", "gpu_model", "max_gpus")
    list_filter = ("gpu_model",)
    search_fields = ("organization__legal_name",)
    list_select_related = ("organization", "gpu_model")


@admin.register(QuotaRequest)
class QuotaRequestAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = ("organization", "gpu_model", "requested_gpus", "status", "created_at", "decided_at")
    list_filter = ("status", "gpu_model")
    search_fields = ("organization__legal_name", "reason")
    ordering = ("-created_at",)
    list_select_related = ("organization", "gpu_model")
    readonly_fields = (
        "organization",
        "gpu_model",
        "requested_gpus",
        "reason",
        "status",
        "decision_note",
        "created_by_label",
        "created_at",
        "decided_at",
    )
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[QuotaRequest], approve: bool) -> None:
        actor = Actor.from_request(request)
        for quota_request in queryset.select_related("organization"):
            try:
                quota_request_decide(actor=actor, request=quota_request, approve=approve)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)

    @admin.action(description=_("Approve the selected quota requests"))
    def approve(self, request: HttpRequest, queryset: QuerySet[QuotaRequest]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected quota requests"))
    def reject(self, request: HttpRequest, queryset: QuerySet[QuotaRequest]) -> None:
        self._decide(request, queryset, approve=False)
