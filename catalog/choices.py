"""Kinds, categories, licenses and commitments of the catalog and the price book, and the order limits."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    CONTAINER = "container", _("Container")
    NIM = "nim", _("NIM microservice")
    HELM_CHART = "helm_chart", _("Helm chart")


class UseCase(models.TextChoices):
    GENERATIVE_AI = "generative_ai", _("Generative AI and chatbots")
    DIGITAL_TWINS = "digital_twins", _("Digital twins")
    ROBOTICS = "robotics", _("Robotics")
    AI_DESIGN = "ai_design", _("AI-assisted design")
    DATA_SCIENCE = "data_science", _("Data science")
    SPEECH = "speech", _("Speech")
    LIFE_SCIENCES = "life_sciences", _("Life sciences")


class License(models.TextChoices):
    NGC_FREE = "ngc_free", _("Free (NGC)")
    NVIDIA_AI_ENTERPRISE = "nvaie", _("NVIDIA AI Enterprise")


# Licenses that add a fee per GPU-hour; every published price list prices each of them for every commitment.
PAID_LICENSES = (License.NVIDIA_AI_ENTERPRISE,)


class Deployment(models.TextChoices):
    VM = "vm", _("Virtual machine")
    BARE_METAL = "bare_metal", _("Bare metal")


class Commitment(models.TextChoices):
    ON_DEMAND = "on_demand", _("On demand")
    RESERVED_1M = "reserved_1m", _("Reserved, 1 month")
    RESERVED_12M = "reserved_12m", _("Reserved, 12 months")


class QuoteLineKind(models.TextChoices):
    COMPUTE = "compute", _("Compute")
    LICENSE = "license", _("Software license")


class QuoteStatus(models.TextChoices):
    """Derived from the time, never stored: a quote is open until ``valid_until``."""

    OPEN = "open", _("Open")
    EXPIRED = "expired", _("Expired")


# A flavor is 1, 2, 4 or 8 GPUs of one node.
FLAVOR_GPU_COUNTS = (1, 2, 4, 8)

# --- Order limits (documented in docs/architecture.md) -------------------------------------------------------------
#: Instances of one flavor in one quote or order. Bare-metal flavors are whole nodes, so this counts nodes.
MAX_INSTANCES_PER_ORDER = 64
#: Windows are booked by the hour: the length is a whole number of hours, so GPU-hours are exact.
MIN_WINDOW_HOURS = 1
#: Twelve months and a week of slack (a 12-month reservation in a leap year fits).
MAX_WINDOW_HOURS = 372 * 24
#: How far ahead a window may start.
MAX_START_AHEAD = timedelta(days=365)
#: A start this far in the past counts as "now" (a form filled in a minute ago, clock skew).
START_GRACE = timedelta(minutes=1)
#: The shortest window each commitment accepts: a month is 30 days, twelve months are 365 days.
COMMITMENT_MIN_HOURS = {
    Commitment.ON_DEMAND: MIN_WINDOW_HOURS,
    Commitment.RESERVED_1M: 30 * 24,
    Commitment.RESERVED_12M: 365 * 24,
}
#: How long a quote holds its prices: a week, enough for a purchase approval.
QUOTE_VALIDITY = timedelta(days=7)
#: The only currency of the price book and of quotes.
CURRENCY = "EUR"
