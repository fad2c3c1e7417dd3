"""Invoices and credit notes: the legal documents billing issues from metered usage."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.archive import invoice_archive
from billing.choices import InvoiceKind, InvoiceStatus
from core.vat import VatCategory
from metering.choices import Meter
from metering.models import UsageCorrection, UsageRecord, UsageSeal
from tenants.models import Organization
from tenants.scoping import TenantOwnedModel


class Invoice(TenantOwnedModel):
    """An invoice (``380``) or a credit note (``381``) of one organization for one Berlin calendar month.

    Invariants:
    - ``status`` goes draft → finalized only, through ``billing.invoices.services``. A draft has no number and no
      ``issued_at``; a finalized document has both (check constraint). ``number`` is unique when set, and
      (``number_year``, ``number_sequence``) is the gapless position in ``InvoiceNumberSeries`` it came from.
    - A finalized row, and the lines of a finalized document, are never updated or deleted: database triggers
      refuse it (migration ``billing/0002``). Corrections are credit notes that cite the invoice.
    - A credit note cites the invoice it corrects (``credited_invoice``, BT-25); an invoice cites nothing. Credit
      note amounts are positive: the kind says it is a credit.
    - ``period_start``/``period_end`` are the first instants of the month and of the next month in Europe/Berlin
      (stored in UTC); at most one draft invoice per organization and period.
    - Money is NUMERIC: ``net_amount`` is the sum of the lines' rounded nets, ``vat_amount`` is computed per VAT
      category on those sums (``core.vat.vat_breakdown``), ``gross_amount = net_amount + vat_amount``.
    - Seller and buyer fields are snapshots taken when the document was (last) drafted or finalized: later changes
      to the organization or to ``settings.KONTOR_SELLER`` do not reach an issued document.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("document type"), max_length=3, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end (exclusive)"))
    number = models.CharField(_("number"), max_length=32, blank=True, default="")
    number_year = models.PositiveIntegerField(_("number year"), null=True, blank=True)
    number_sequence = models.PositiveIntegerField(_("number sequence"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    seller_legal_name = models.CharField(_("seller legal name"), max_length=200)
    seller_street = models.CharField(_("seller street"), max_length=200, blank=True)
    seller_postal_code = models.CharField(_("seller postal code"), max_length=16, blank=True)
    seller_city = models.CharField(_("seller city"), max_length=100, blank=True)
    seller_country = models.CharField(_("seller country"), max_length=2)
    seller_vat_id = models.CharField(_("seller VAT ID"), max_length=20, blank=True)
    buyer_legal_name = models.CharField(_("buyer legal name"), max_length=200)
    buyer_street = models.CharField(_("buyer street"), max_length=200, blank=True)
    buyer_postal_code = models.CharField(_("buyer postal code"), max_length=16, blank=True)
    buyer_city = models.CharField(_("buyer city"), max_length=100, blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2)
    buyer_vat_id = models.CharField(_("buyer VAT ID"), max_length=20, blank=True)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_note = models.TextField(_("VAT note"), blank=True)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    gross_amount = models.DecimalField(_("gross"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credited invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    credit_reason = models.TextField(_("reason for the credit"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InvoiceKind.values), name="billing_invoice_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="billing_invoice_status_valid"),
            models.CheckConstraint(
                condition=Q(
                    status=InvoiceStatus.DRAFT,
                    number="",
                    number_year__isnull=True,
                    number_sequence__isnull=True,
                    issued_at__isnull=True,
                )
                | Q(
                    ~Q(number=""),
                    status=InvoiceStatus.FINALIZED,
                    number_year__isnull=False,
                    number_sequence__isnull=False,
                    issued_at__isnull=False,
                ),
                name="billing_invoice_numbered_iff_finalized",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, credited_invoice__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, credited_invoice__isnull=False),
                name="billing_invoice_credit_note_cites_invoice",
            ),
            models.CheckConstraint(condition=Q(period_start__lt=F("period_end")), name="billing_invoice_period"),
            models.CheckConstraint(
                # Rounded: SQLite adds the two as floating point (0.10 + 0.20 is not 0.30 there); on PostgreSQL the
                # amounts are NUMERIC(…, 2) and the sum is exact either way.
                condition=Q(
                    net_amount__gte=0, vat_amount__gte=0, gross_amount=Round(F("net_amount") + F("vat_amount"), 2)
                ),
                name="billing_invoice_amounts",
            ),
            models.CheckConstraint(condition=Q(currency="EUR"), name="billing_invoice_currency_eur"),
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="billing_invoice_number_unique"),
            models.UniqueConstraint(
                fields=["number_year", "number_sequence"],
                condition=Q(number_sequence__isnull=False),
                name="billing_invoice_sequence_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "period_start"],
                condition=Q(kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT),
                name="billing_invoice_one_draft_per_month",
            ),
        ]

    def __str__(self) -> str:
        label = self.number or f"draft #{self.pk}"
        return f"{self.get_kind_display()} {label}"


class InvoiceLine(TenantOwnedModel):
    """One line of a document: the usage of one meter and flavor at one unit price in the period.

    Invariants: ``position`` is unique within its invoice, counting from 1; ``quantity`` is GPU-hours with six
    decimals (the exact integer GPU-seconds / 3600, half-up at the sixth decimal, for display); ``net_amount`` is
    computed from the exact seconds (seconds x unit price / 3600) and rounded once, half-up to the cent, here and
    nowhere else; the VAT category and rate are the invoice's; the service period is both dates or none. Lines of a
    finalized invoice never change (database trigger).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    meter = models.CharField(_("meter"), max_length=24, choices=Meter.choices)
    flavor_slug = models.CharField(_("flavor"), max_length=40)
    quantity = models.DecimalField(_("GPU-hours"), max_digits=18, decimal_places=6)
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    # BT-134/BT-135: the Berlin dates of the first and last hour the line bills (empty on lines issued before
    # lines carried them). Nullable and without a check constraint on purpose: adding either would make SQLite
    # rebuild the table and drop its immutability triggers; the document model checks start <= end.
    service_start = models.DateField(_("service from"), null=True, blank=True)
    service_end = models.DateField(_("service until"), null=True, blank=True)
    # The purchase-order reference of the reservations the line bills (BT-13 when all lines share one, else the
    # line's note BT-127), and, for a positive correction, the invoice whose hours it bills again (BG-3). Nullable
    # for the same SQLite reason as the service period: empty means none.
    order_reference = models.CharField(  # noqa: DJ001 - NULL: no SQLite table rebuild (see above)
        _("purchase order"), max_length=35, null=True, blank=True
    )
    corrects = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("corrects")
    )
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="billing_line_position_positive"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0, unit_price__gte=0, net_amount__gte=0), name="billing_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class InvoiceSeal(TenantOwnedModel):
    """Which hours a finalized invoice billed: one of the organization's ``UsageSeal`` ranges, written when the
    invoice is finalized, in the same transaction as the seal.

    Invariants: a seal belongs to exactly one invoice (unique ``seal``), of the seal's organization, and lies in the
    invoice's period; the seal's ``sealed_at`` is the invoice's ``issued_at``. An invoice bills exactly the usage
    records of its organization whose hours its seals cover (``InvoiceUsage``), each once: seals never overlap.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="seals")
    seal = models.OneToOneField(UsageSeal, on_delete=models.PROTECT, related_name="+")

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoiced usage hours")
        verbose_name_plural = _("invoiced usage hours")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.seal}"


class InvoiceUsage(TenantOwnedModel):
    """Which usage record a finalized invoice billed: a database view (migration ``billing/0010``) joining each
    invoice's seals (``InvoiceSeal``) to the records of its organization in their hours; read-only.

    Invariants: a usage record is billed by at most one invoice (the seals of an organization never overlap); the
    record's ``invoiced_at`` is the invoice's ``issued_at``. Credit notes from ``UsageCorrection`` rows find their
    records here. The row's ID is the record's.
    """

    organization = models.ForeignKey(Organization, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.DO_NOTHING, related_name="usages", db_constraint=False)
    record = models.OneToOneField(UsageRecord, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)

    class Meta(TenantOwnedModel.Meta):
        managed = False
        db_table = "billing_invoiceusage"
        verbose_name = _("invoiced usage")
        verbose_name_plural = _("invoiced usage")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.record}"


class InvoiceCorrectionUsage(TenantOwnedModel):
    """Which positive usage correction (billed too little) an invoice billed: written when the invoice is finalized.

    Invariants: a correction is billed by at most one invoice (unique ``correction``), and then its ``credited_at``
    is that invoice's ``issued_at``; the correction's record was billed by an earlier invoice (``InvoiceUsage``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="correction_usages")
    correction = models.OneToOneField(UsageCorrection, on_delete=models.PROTECT, related_name="+")

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoiced usage correction")
        verbose_name_plural = _("invoiced usage corrections")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.correction}"


class InvoiceReview(TenantOwnedModel):
    """An operator's review of a draft invoice: the content hash of exactly the figures they saw.

    Invariants: at most one per invoice (unique ``invoice``), written by ``billing.invoices.review.invoice_review``
    (audited) on a draft only; ``content_hash`` is ``draft_content_hash`` of the draft's lines and totals at that
    moment. When the draft's figures change (a metering run rewrote an hour), the review is deleted (audited as
    ``billing.invoice_review_invalidated``) and the draft needs review again; finalization refuses a draft whose
    recomputed figures differ from the reviewed hash. The row of a finalized invoice stays: who reviewed what.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="review")
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    reviewed_by_label = models.CharField(_("reviewed by"), max_length=254)
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice review")
        verbose_name_plural = _("invoice reviews")

    def __str__(self) -> str:
        return f"{self.invoice} reviewed by {self.reviewed_by_label}"


class InvoiceNumberSeries(models.Model):
    """The gapless yearly counter of document numbers (invoices and credit notes share it).

    Invariants: one row per year; ``last_sequence`` is the sequence of the last number handed out and only grows,
    by exactly 1, in the same transaction that finalizes the document receiving the number (row locked with
    ``SELECT ... FOR UPDATE``), so a rollback returns the number and no gap appears.
    """

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_sequence = models.PositiveIntegerField(_("last sequence"), default=0)

    class Meta:
        verbose_name = _("invoice number series")
        verbose_name_plural = _("invoice number series")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_sequence}"


class InvoiceFileKind(models.TextChoices):
    """The stored renderings of a finalized document."""

    PDF = "pdf", _("PDF (Factur-X)")
    XML = "xml", _("E-invoice (CII XML)")
    XRECHNUNG = "xrechnung", _("XRechnung 3.0 (CII XML)")


INVOICE_FILE_CONTENT_TYPES = {
    InvoiceFileKind.PDF: "application/pdf",
    InvoiceFileKind.XML: "application/xml",
    InvoiceFileKind.XRECHNUNG: "application/xml",
}
INVOICE_FILE_SUFFIXES = {
    InvoiceFileKind.PDF: "pdf",
    InvoiceFileKind.XML: "xml",
    InvoiceFileKind.XRECHNUNG: "xrechnung.xml",
}


def invoice_file_path(instance: InvoiceFile, filename: str) -> str:
    return f"invoices/{instance.organization_id}/{filename}"


class InvoiceFile(TenantOwnedModel):
    """The PDF (Factur-X, with the XML embedded), the EN 16931 CII XML or the XRechnung XML of a finalized document.

    Invariants: at most one file of each kind per document (unique ``invoice``, ``kind``); written once by
    ``billing.tasks.render_invoice_documents`` after the document was finalized, only after the XML passed the
    EN 16931 XSD and schematron (the XRechnung file also the KoSIT XRechnung schematron), and never changed;
    ``sha256`` is the hex digest of the stored bytes. The files live here rather than on ``Invoice`` because a
    finalized invoice row is immutable (database trigger).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("kind"), max_length=16, choices=InvoiceFileKind.choices)
    file = models.FileField(_("file"), upload_to=invoice_file_path, max_length=200, storage=invoice_archive)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoice file")
        verbose_name_plural = _("invoice files")
        ordering = ["invoice", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="billing_invoice_file_unique"),
            models.CheckConstraint(condition=Q(kind__in=InvoiceFileKind.values), name="billing_invoice_file_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} ({self.kind})"

    @property
    def content_type(self) -> str:
        return INVOICE_FILE_CONTENT_TYPES[InvoiceFileKind(self.kind)]
