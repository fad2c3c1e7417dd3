"""What an organization asks of its e-invoices, and the terms frozen on each document when it is finalized.

Imported at the end of ``billing.models`` (the models belong to the ``billing`` app).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Organization
from tenants.scoping import TenantOwnedModel

# EN 16931 sets no length for BT-10; Kontor keeps it to what an accounts-payable system can route on (and what
# fits on the PDF's reference line). The Leitweg-ID format allows at most 46 characters.
BUYER_REFERENCE_MAX_LENGTH = 200
LEITWEG_ID_MAX_LENGTH = 46


class EInvoiceFormat(models.TextChoices):
    """Which e-invoice an organization receives by e-mail and sees first for download."""

    FACTURX = "facturx", _("Factur-X PDF (EN 16931)")
    XRECHNUNG = "xrechnung", _("XRechnung 3.0 (CII XML)")
    BOTH = "both", _("Factur-X PDF and XRechnung")


class BillingProfile(TenantOwnedModel):
    """An organization's e-invoicing choices: its buyer reference (BT-10), Leitweg-ID and e-invoice format.

    Invariants: at most one per organization (absent means: no reference, no Leitweg-ID, Factur-X); written only by
    ``billing.documents.terms.billing_profile_update`` (audited), which refuses a Leitweg-ID with a wrong shape or
    check digits and a buyer reference over ``BUYER_REFERENCE_MAX_LENGTH``. Issued documents keep the values of
    their finalization (``InvoiceTerms``); changes here reach only later documents.
    """

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="+")
    buyer_reference = models.CharField(_("buyer reference"), max_length=BUYER_REFERENCE_MAX_LENGTH, blank=True)
    leitweg_id = models.CharField(_("Leitweg-ID"), max_length=LEITWEG_ID_MAX_LENGTH, blank=True)
    e_invoice_format = models.CharField(
        _("e-invoice format"), max_length=16, choices=EInvoiceFormat.choices, default=EInvoiceFormat.FACTURX
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(e_invoice_format__in=EInvoiceFormat.values), name="billing_profile_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.e_invoice_format}"


class InvoiceTerms(TenantOwnedModel):
    """The e-invoice terms of one finalized document, frozen in the transaction that numbers it.

    Invariants: exactly one per finalized invoice or credit note finalized after this table existed (unique
    ``invoice``), written by ``billing.documents.terms.invoice_terms_freeze`` in the transaction that finalizes the
    document, and never changed; ``language`` is the document language its lines and notes were worded in; the
    seller contact (BG-6) is never empty; the buyer reference and Leitweg-ID are the organization's at that moment
    (for a credit note: those of the invoice it cites).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField("billing.Invoice", on_delete=models.PROTECT, related_name="terms")
    language = models.CharField(_("document language"), max_length=2)
    buyer_reference = models.CharField(_("buyer reference"), max_length=BUYER_REFERENCE_MAX_LENGTH, blank=True)
    leitweg_id = models.CharField(_("Leitweg-ID"), max_length=LEITWEG_ID_MAX_LENGTH, blank=True)
    seller_contact_name = models.CharField(_("seller contact"), max_length=200)
    seller_contact_phone = models.CharField(_("seller contact phone"), max_length=50)
    seller_contact_email = models.EmailField(_("seller contact e-mail"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice terms")
        verbose_name_plural = _("invoice terms")
        constraints = [
            models.CheckConstraint(
                condition=~Q(seller_contact_name="") & ~Q(seller_contact_phone="") & ~Q(seller_contact_email=""),
                name="billing_terms_seller_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} ({self.language})"


class InvoiceDelivery(TenantOwnedModel):
    """The e-mail that delivered a finalized document to its organization.

    Invariants: at most one per document (unique ``invoice``): written by ``billing.documents.delivery`` in the
    transaction that holds the invoice row lock while the message is handed to the mail server, so a task
    delivered twice sends once; ``recipients`` and ``attachments`` record what was sent (comma-separated).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField("billing.Invoice", on_delete=models.PROTECT, related_name="delivery")
    recipients = models.TextField(_("recipients"))
    attachments = models.TextField(_("attachments"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice e-mail")
        verbose_name_plural = _("invoice e-mails")

    def __str__(self) -> str:
        return f"{self.invoice_id} → {self.recipients}"
