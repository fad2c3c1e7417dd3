"""The printable invoice (WeasyPrint) and the Factur-X PDF/A-3 with the CII XML embedded."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from facturx import get_facturx_xml_from_pdf
from pypdf import PdfReader

from billing.documents.cii import cii_xml
from billing.documents.pdf import facturx_pdf, invoice_pdf
from tests.billing.test_documents import (
    DOCUMENTS,
    assert_valid_en16931,
    credit_note,
    german_invoice,
    reverse_charge_invoice,
    swiss_invoice,
)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_german_invoice_shows_the_mandatory_content_in_german_formats():
    pdf = invoice_pdf(german_invoice())
    text = pdf_text(pdf)

    assert pdf.startswith(b"%PDF-")
    for expected in (
        "Kontor GmbH",
        "Friedrichstraße 100",
        "10117 Berlin",
        "Beispiel AG",
        "80331 München",
        "USt-IdNr.: DE123456788",
        "RE-2026-000042",
        "01.12.2026",
        "01.11.2026 – 30.11.2026",
        "720 GPU-Stunden 2,45 19 % 1.764,00",
        "13,5 GPU-Stunden 1,2345 19 % 16,67",
        "1.780,67 EUR",
        "338,33 EUR",
        "2.119,00 EUR",
        "Ihre Referenz PO-4711",
        "Ihr Ansprechpartner Kontor Buchhaltung · +49 30 1234567 · rechnung@kontor.example",
        "Zahlung Zahlungsempfänger Kontor GmbH IBAN DE02120300000000202051 BIC BYLADEM1001 Betrag 2.119,00 EUR "
        "Verwendungszweck RE-2026-000042 Fällig am 15.12.2026",
    ):
        assert expected in text


def test_a_line_shows_its_service_period_in_the_documents_date_format():
    line = replace(german_invoice().lines[0], period_start=date(2026, 11, 3), period_end=date(2026, 11, 20))
    lines = (line, german_invoice().lines[1])

    german = pdf_text(invoice_pdf(german_invoice(lines=lines)))
    english = pdf_text(invoice_pdf(german_invoice(lines=lines, language="en")))

    assert "Position 1 Leistungszeitraum: 03.11.2026 – 20.11.2026" in german
    assert "Position 1 Service period: 3 November 2026 – 20 November 2026" in english


def test_the_reverse_charge_invoice_states_it_with_both_vat_ids():
    text = pdf_text(invoice_pdf(reverse_charge_invoice()))

    assert "Steuerschuldnerschaft des Leistungsempfängers / Reverse charge" in text
    assert "Seller VAT ID: DE123456788 · Customer VAT ID: NL123456789B01" in text
    assert "Total net 1,764.00 EUR" in text
    assert "VAT (Reverse charge) on 1,764.00 EUR 0.00 EUR" in text
    assert "Total gross 1,764.00 EUR" in text
    # Never the US 12/01/2026, which a Dutch accountant reads as 12 January.
    assert "Date 1 December 2026" in text
    assert "12/01/2026" not in text


def test_the_swiss_invoice_states_that_it_is_not_subject_to_vat():
    text = pdf_text(invoice_pdf(swiss_invoice()))

    assert "Not subject to VAT" in text
    assert "place of supply is the customer's country" in text
    assert "Total gross 1,764.00 EUR" in text


def test_the_credit_note_cites_the_invoice_it_corrects():
    text = pdf_text(invoice_pdf(credit_note()))

    assert "GS-2026-000001" in text
    assert "RE-2026-000042 (01.12.2026)" in text
    assert "29,16 EUR" in text


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_the_facturx_pdf_carries_the_same_valid_xml(build):
    doc = build()
    pdf = facturx_pdf(doc)

    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=True)

    assert pdf.startswith(b"%PDF-")
    assert filename == "factur-x.xml"
    assert xml == cii_xml(doc)
    assert_valid_en16931(xml)
    assert doc.number in pdf_text(pdf)
