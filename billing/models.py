"""The billing app's models, for Django: invoices (``billing.invoices.models``) and budgets
(``billing.budgets.models``) live in their packages."""

from billing.budgets.models import BUDGET_THRESHOLDS, Budget, BudgetAlert
from billing.invoices.models import (
    INVOICE_FILE_CONTENT_TYPES,
    Invoice,
    InvoiceFile,
    InvoiceFileKind,
    InvoiceLine,
    InvoiceNumberSeries,
    InvoiceUsage,
    invoice_file_path,
)

__all__ = [
    "BUDGET_THRESHOLDS",
    "INVOICE_FILE_CONTENT_TYPES",
    "Budget",
    "BudgetAlert",
    "Invoice",
    "InvoiceFile",
    "InvoiceFileKind",
    "InvoiceLine",
    "InvoiceNumberSeries",
    "InvoiceUsage",
    "invoice_file_path",
]
