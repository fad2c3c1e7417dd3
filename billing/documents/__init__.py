"""Invoice documents: the EN 16931 CII XML, the XRechnung XML and the PDF a person reads, built from one plain value.

The rendering is independent of the database: callers build an ``InvoiceDocument`` (``model.py``) and call
``cii.cii_xml``, ``cii.xrechnung_xml``, ``pdf.invoice_pdf`` or ``pdf.facturx_pdf``; ``validation`` checks XML against
the official Factur-X, CEN and KoSIT artefacts. Around it: ``mapping`` (a finalized ``Invoice`` to a document),
``models``/``terms`` (billing profiles and the terms frozen at finalization), ``language``, ``formats`` and
``delivery`` (the invoice e-mail).
"""
