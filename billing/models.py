"""The billing app's models, for Django: invoices (``billing.invoices.models``), budgets
(``billing.budgets.models``) and e-invoicing profiles and terms (``billing.documents.models``) live in their
packages."""

from billing.budgets.models import BUDGET_THRESHOLDS, Budget, BudgetAlert
from billing.documents.models import BillingProfile, EInvoiceFormat, InvoiceDelivery, InvoiceTerms
from billing.invoices.models import (
    INVOICE_FILE_CONTENT_TYPES,
    INVOICE_FILE_SUFFIXES,
    Invoice,
    InvoiceCorrectionUsage,
    InvoiceFile,
    InvoiceFileKind,
    InvoiceLine,
    InvoiceNumberSeries,
    InvoiceReview,
    InvoiceSeal,
    InvoiceUsage,
    invoice_file_path,
)

__all__ = [
    "BUDGET_THRESHOLDS",
    "INVOICE_FILE_CONTENT_TYPES",
    "INVOICE_FILE_SUFFIXES",
    "BillingProfile",
    "Budget",
    "BudgetAlert",
    "EInvoiceFormat",
    "Invoice",
    "InvoiceCorrectionUsage",
    "InvoiceDelivery",
    "InvoiceFile",
    "InvoiceFileKind",
    "InvoiceLine",
    "InvoiceNumberSeries",
    "InvoiceReview",
    "InvoiceSeal",
    "InvoiceTerms",
    "InvoiceUsage",
    "invoice_file_path",
]
