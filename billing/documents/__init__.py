"""Invoice documents: the EN 16931 CII XML (the e-invoice) and the PDF a person reads, built from one plain value.

Independent of the database: callers build an ``InvoiceDocument`` (``model.py``) and call ``cii.cii_xml``,
``pdf.invoice_pdf`` or ``pdf.facturx_pdf``; ``validation`` checks XML against the official Factur-X artefacts.
"""
