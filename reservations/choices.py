"""States and kinds of the inventory and of reservations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class Pool(models.TextChoices):
    """Which demand a node serves. On-demand reservations are open-ended, so they never share a node with reserved
    windows: otherwise one on-demand instance could block every future reservation on its GPUs (and a long
    reservation could starve on-demand users). The share of each pool is an operator decision per zone."""

    RESERVABLE = "reservable", _("Reserved windows")
    ON_DEMAND = "on_demand", _("On demand")


class ReservationKind(models.TextChoices):
    ON_DEMAND = "on_demand", _("On demand")
    RESERVED = "reserved", _("Reserved window")


class ReservationState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    ENDING = "ending", _("Ending")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# States in which a reservation holds its GPUs.
HOLDING_STATES = (
    ReservationState.REQUESTED,
    ReservationState.SCHEDULED,
    ReservationState.PROVISIONING,
    ReservationState.ACTIVE,
    ReservationState.ENDING,
)


class QuotaRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
