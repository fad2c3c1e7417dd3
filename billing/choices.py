"""Kinds and states of billing documents."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceKind(models.TextChoices):
    """The document type code (UNTDID 1001, EN 16931 BT-3)."""

    INVOICE = "380", _("Invoice")
    CREDIT_NOTE = "381", _("Credit note")


class InvoiceStatus(models.TextChoices):
    """draft → finalized, through ``billing.invoices.services`` only; a finalized document never changes again."""

    DRAFT = "draft", _("Draft")
    FINALIZED = "finalized", _("Finalized")
