"""Invoices and credit notes: models, numbering, drafting and finalizing, rendering and storing their documents."""
