"""Inventory (nodes and their GPU slots), reservations, their GPU allocations, quotas and idempotency keys."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import AvailabilityZone, CatalogItemVersion, Flavor, GpuModel, NodeType, Quote
from reservations.choices import NodeState, Pool, QuotaRequestStatus, ReservationKind, ReservationState
from reservations.orders import PURCHASE_ORDER_REFERENCE_MAX_LENGTH
from tenants.models import Organization
from tenants.scoping import TenantOwnedModel


class CapacityPool(models.Model):
    """The unit the allocator locks: the nodes of one type in one zone serving one kind of demand.

    Invariant: one row per (zone, node type, pool). Every booking locks its pool row (``SELECT ... FOR UPDATE``)
    before it reads the free slots and inserts, so the allocator's answer and the insert agree; the exclusion
    constraint on ``Allocation`` is the last line of defence.
    """

    zone = models.ForeignKey(AvailabilityZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    node_type = models.ForeignKey(NodeType, verbose_name=_("node type"), on_delete=models.PROTECT, related_name="+")
    pool = models.CharField(_("pool"), max_length=16, choices=Pool.choices)

    class Meta:
        verbose_name = _("capacity pool")
        verbose_name_plural = _("capacity pools")
        constraints = [
            models.UniqueConstraint(fields=["zone", "node_type", "pool"], name="reservations_pool_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone.slug}/{self.node_type.slug}/{self.pool}"


class Node(models.Model):
    """One physical server with ``node_type.gpus_per_node`` GPU slots, numbered from 0.

    Invariants: the hostname is unique; a node belongs to exactly one capacity pool of its own zone and type; only
    ``available`` nodes receive new allocations; a node leaves service only through ``node_set_state``, which first
    moves or settles every reservation on it (``state`` is written by ``node_transition`` alone; retired is final).
    """

    hostname = models.CharField(_("hostname"), max_length=64, unique=True)
    pool = models.ForeignKey(
        CapacityPool, verbose_name=_("capacity pool"), on_delete=models.PROTECT, related_name="nodes"
    )
    state = models.CharField(_("state"), max_length=16, choices=NodeState.choices, default=NodeState.AVAILABLE)
    state_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        ordering = ["hostname"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=NodeState.values), name="reservations_node_state_valid"),
        ]

    def __str__(self) -> str:
        return self.hostname


class Reservation(TenantOwnedModel):
    """GPUs booked by an organization: ``instance_count`` instances of a flavor running a catalog item version.

    Invariants: priced by its quote (``quote``), whatever the price book says later; an on-demand reservation has no
    end until it is released, a reserved one has a window (``ends_at`` after ``starts_at``); its state changes only
    through ``reservations.services.reservation_transition``; while it holds GPUs (``HOLDING_STATES``) it has one
    live allocation per instance.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="reservations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReservationKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ReservationState.choices, default=ReservationState.REQUESTED
    )
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="reservations")
    item_version = models.ForeignKey(
        CatalogItemVersion, verbose_name=_("software version"), on_delete=models.PROTECT, related_name="+"
    )
    flavor = models.ForeignKey(Flavor, verbose_name=_("flavor"), on_delete=models.PROTECT, related_name="+")
    instance_count = models.PositiveIntegerField(_("instances"))
    zone = models.ForeignKey(AvailabilityZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    created_by_label = models.CharField(_("ordered by"), max_length=254)
    # The customer's purchase-order number for this order (BT-13/BT-132 on the invoices that bill it); checked by
    # ``reservations.orders.purchase_order_reference_clean``; set at booking.
    purchase_order_reference = models.CharField(
        _("purchase order"), max_length=PURCHASE_ORDER_REFERENCE_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "-id"], name="reservations_res_org_newest"),
            models.Index(fields=["state", "starts_at"], name="reservations_res_due_start"),
            models.Index(fields=["state", "ends_at"], name="reservations_res_due_end"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReservationKind.values), name="reservations_res_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=ReservationState.values), name="reservations_res_state_valid"),
            models.CheckConstraint(condition=Q(instance_count__gte=1), name="reservations_res_instances_positive"),
            models.CheckConstraint(
                condition=Q(kind=ReservationKind.ON_DEMAND) | Q(ends_at__isnull=False),
                name="reservations_res_reserved_has_end",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="reservations_res_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Reservation %(number)s") % {"number": self.pk})

    @property
    def gpu_count(self) -> int:
        return self.instance_count * self.flavor.gpu_count


class Allocation(TenantOwnedModel):
    """GPU slots ``[gpu_first, gpu_first + gpu_count)`` of one node, held by one instance of a reservation for
    ``[starts_at, ends_at)`` (no end: until released).

    Invariant, enforced by PostgreSQL itself: no two live allocations of a node share a GPU slot at overlapping
    times — an exclusion constraint (btree_gist) over node, ``int4range(gpu_first, gpu_first + gpu_count)`` and
    ``tstzrange(starts_at, coalesce(ends_at, 'infinity'))`` for rows with ``released_at IS NULL`` (migration 0002;
    created on PostgreSQL only — the embedded SQLite default relies on the pool lock and serialized writes).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="allocations")
    instance_index = models.PositiveSmallIntegerField(_("instance"))
    node = models.ForeignKey(Node, verbose_name=_("node"), on_delete=models.PROTECT, related_name="allocations")
    #: The node's GPU model, written with the row (a node never changes its model, and an allocation moves only
    #: within its pool): the quota counts an organization's live GPUs of one model from this table alone
    #: (``reservations_alloc_org_model``), instead of joining every allocation to its node, pool and node type.
    gpu_model = models.ForeignKey(
        GpuModel, verbose_name=_("GPU model"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    gpu_first = models.PositiveSmallIntegerField(_("first GPU slot"))
    gpu_count = models.PositiveSmallIntegerField(_("GPUs"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("GPU allocation")
        verbose_name_plural = _("GPU allocations")
        indexes = [
            models.Index(fields=["node", "starts_at"], name="reservations_alloc_node_start"),
            models.Index(
                fields=["organization", "gpu_model"],
                condition=Q(released_at__isnull=True),
                name="reservations_alloc_org_model",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(gpu_count__gte=1), name="reservations_alloc_gpus_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="reservations_alloc_window_ordered",
            ),
            models.UniqueConstraint(
                fields=["reservation", "instance_index"],
                condition=Q(released_at__isnull=True),
                name="reservations_alloc_one_live_per_instance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node} GPU {self.gpu_first}-{self.gpu_first + self.gpu_count - 1}"


class IdempotencyKey(TenantOwnedModel):
    """The booking form's key for creating a reservation: a form sent twice gets the same reservation. (The API's
    ``Idempotency-Key`` is claimed before the request runs: ``tenants.idempotency``.)

    Invariant: one row per (organization, key); the stored request hash refuses the same key with another body.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="reservations_idem_unique")]
        # The hourly expiry deletes by age (reservations.expire_booking_keys).
        indexes = [models.Index(fields=["created_at"], name="reservations_idem_created")]

    def __str__(self) -> str:
        return self.key


class QuotaLimit(TenantOwnedModel):
    """The most GPUs of a model an organization may hold at the same time (absent: the default in settings).

    Invariant: one row per (organization, GPU model); the limit is not negative.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="quota_limits"
    )
    gpu_model = models.ForeignKey(GpuModel, verbose_name=_("GPU model"), on_delete=models.PROTECT, related_name="+")
    max_gpus = models.PositiveIntegerField(_("GPUs at a time"))

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["organization", "gpu_model"], name="reservations_quota_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.max_gpus} × {self.gpu_model}"


class QuotaRequest(TenantOwnedModel):
    """An owner's request for a higher quota, decided by an operator.

    Invariant: decided once (``status`` leaves ``pending`` through ``quota_request_transition`` only).
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="quota_requests"
    )
    gpu_model = models.ForeignKey(GpuModel, verbose_name=_("GPU model"), on_delete=models.PROTECT, related_name="+")
    requested_gpus = models.PositiveIntegerField(_("GPUs requested"))
    reason = models.TextField(_("why"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=QuotaRequestStatus.choices, default=QuotaRequestStatus.PENDING
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    created_by_label = models.CharField(_("requested by"), max_length=254)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("quota request")
        verbose_name_plural = _("quota requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QuotaRequestStatus.values), name="reservations_quotareq_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.requested_gpus} × {self.gpu_model} ({self.status})"


class ReservationReminder(TenantOwnedModel):
    """A reminder sent before a reservation ends. Invariant: each kind at most once per reservation, so a reminder
    run that is retried or runs twice never e-mails twice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["reservation", "kind"], name="reservations_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation} {self.kind}"


class ReservationNotice(TenantOwnedModel):
    """An e-mail owed about a reservation's lifecycle event (the e-mail outbox of ``reservations.notifications``).

    Written in the transaction of the change, as one small row; the notice drain renders it after the commit into
    one ``OutgoingEmail`` per recipient and marks it written, in one transaction, so each notice is e-mailed once. A
    notice still unwritten some minutes later (the drain's message was lost, or it failed to render) is re-driven by
    the sweeper."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="notices")
    template = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    written_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(written_at__isnull=True), name="reservations_notice_unwritten"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reservation} {self.template}"
