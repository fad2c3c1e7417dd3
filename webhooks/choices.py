from django.db import models
from django.utils.translation import gettext_lazy as _


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    FAILING = "failing", _("Failing")
    DISABLED = "disabled", _("Disabled")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
