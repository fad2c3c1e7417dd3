"""The human-readable invoice (HTML rendered by WeasyPrint) and the Factur-X PDF/A-3 that embeds the CII XML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from billing.documents.cii import cii_xml
from billing.documents.formats import document_date
from billing.documents.model import CREDIT_NOTE, InvoiceDocument

TEMPLATE = "billing/invoice_pdf.html"
FACTURX_LEVEL = "en16931"


def _shown(value: Decimal, min_places: int) -> Decimal:
    """The value with its trailing zeros dropped but at least ``min_places`` decimals: 720, 13.5, 2.45, 1.2345."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    trimmed = Decimal(text)
    exponent = trimmed.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    return trimmed.quantize(Decimal(1).scaleb(-max(places, min_places)))


def invoice_context(doc: InvoiceDocument) -> dict[str, Any]:
    def shown_date(value: date | None) -> str:
        return document_date(value, doc.language) if value is not None else ""

    return {
        "doc": doc,
        "dates": {
            "issue": shown_date(doc.issue_date),
            "period_start": shown_date(doc.period_start),
            "period_end": shown_date(doc.period_end),
            "due": shown_date(doc.due_date),
            "preceding": shown_date(doc.preceding_invoice_date),
        },
        "lines": [
            {
                "line": line,
                "quantity": _shown(line.quantity, 0),
                "unit_price": _shown(line.unit_price, 2),
                "period": (
                    f"{shown_date(line.period_start)} – {shown_date(line.period_end)}"
                    if line.period_start is not None
                    else ""
                ),
            }
            for line in doc.lines
        ],
        "is_credit_note": doc.type_code == CREDIT_NOTE,
        "reverse_charge": "AE" in doc.categories,
        "not_subject": "O" in doc.categories,
    }


def invoice_html(doc: InvoiceDocument) -> str:
    """The document as HTML in its own language (labels, number and date formats follow ``doc.language``)."""
    with translation.override(doc.language):
        return render_to_string(TEMPLATE, invoice_context(doc))


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The document as a PDF/A-3b file (A4), ready to receive the XML attachment."""
    from weasyprint import HTML  # lazily: it needs the Pango system libraries (see the Makefile)

    pdf = HTML(string=invoice_html(doc)).write_pdf(pdf_variant="pdf/a-3b")
    if pdf is None:
        raise RuntimeError("WeasyPrint returned no PDF.")
    return bytes(pdf)


def facturx_pdf(doc: InvoiceDocument) -> bytes:
    """The Factur-X (ZUGFeRD 2, profile EN 16931) invoice: the PDF with its CII XML embedded as factur-x.xml.

    The library checks the XML against the Factur-X XSD before embedding it.
    """
    from facturx import generate_from_binary

    metadata = {
        "author": doc.seller.name,
        "keywords": "Factur-X",
        "title": f"{doc.seller.name}: {doc.number}",
        "subject": f"{doc.number} ({doc.issue_date.isoformat()})",
    }
    result = generate_from_binary(
        invoice_pdf(doc),
        cii_xml(doc),
        flavor="factur-x",
        level=FACTURX_LEVEL,
        check_xsd=True,
        pdf_metadata=metadata,
        lang=doc.language,
    )
    return bytes(result)
