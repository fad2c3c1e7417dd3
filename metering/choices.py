"""The meters usage is recorded under."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from reservations.choices import ReservationState


class Meter(models.TextChoices):
    GPU_SECONDS = "gpu_seconds", _("GPU time used")
    LICENSE_GPU_SECONDS = "license_gpu_seconds", _("NVIDIA AI Enterprise license")
    COMMITTED_GPU_SECONDS = "committed_gpu_seconds", _("Committed GPU time")


#: Reserved windows in these states are billed in full, used or not.
BILLED_WINDOW_STATES = (
    ReservationState.SCHEDULED,
    ReservationState.PROVISIONING,
    ReservationState.ACTIVE,
    ReservationState.ENDING,
    ReservationState.ENDED,
)
#: Reserved windows in these states bill nothing; records written while they were scheduled are removed.
UNBILLED_WINDOW_STATES = (ReservationState.CANCELLED, ReservationState.FAILED, ReservationState.EXPIRED)
