"""States and kinds of enterprise identity."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DomainStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the DNS record")
    VERIFIED = "verified", _("Verified")
    FAILED = "failed", _("Not found in DNS")


class Protocol(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


# When several mapped groups grant roles, the first role of this list wins.
ROLE_PRECEDENCE = ("owner", "admin", "billing", "member", "viewer")
