"""The meters usage is recorded under."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Meter(models.TextChoices):
    GPU_SECONDS = "gpu_seconds", _("GPU time used")
    LICENSE_GPU_SECONDS = "license_gpu_seconds", _("NVIDIA AI Enterprise license")
    COMMITTED_GPU_SECONDS = "committed_gpu_seconds", _("Committed GPU time")
