"""Invoice documents as CII XML, checked against the official Factur-X EN 16931 XSD and schematron."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from billing.documents.cii import NSMAP, XRECHNUNG_GUIDELINE, cii_xml, xrechnung_xml
from billing.documents.model import Contact, DocumentError, DocumentLine, InvoiceDocument, Party, VatBreakdownEntry
from billing.documents.validation import (
    e_invoice_problems,
    schematron_report,
    xrechnung_report,
    xsd_errors,
)

SELLER = Party(
    name="Kontor GmbH",
    street="Friedrichstraße 100",
    postal_code="10117",
    city="Berlin",
    country="DE",
    vat_id="DE123456788",
    email="rechnung@kontor.example",
    registration_id="HRB 123456 B",
)
REVERSE_CHARGE_NOTE = (
    "Steuerschuldnerschaft des Leistungsempfängers (Reverse charge): the customer accounts for the VAT, "
    "Art. 196 Council Directive 2006/112/EC. Seller VAT ID: DE123456788. Customer VAT ID: NL123456789B01."
)
CONTACT = Contact("Kontor Buchhaltung", "+49 30 1234567", "rechnung@kontor.example")
NOT_SUBJECT_NOTE = "Not subject to German VAT: the place of supply is the customer's country (§ 3a (2) UStG)."


def gpu_line(position: int, category: str, rate: str, quantity: str = "720", price: str = "2.4500") -> DocumentLine:
    return DocumentLine(
        position=position,
        description=f"NVIDIA H100 80GB, GPU-Stunden, Position {position}",
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        net_amount=(Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01")),
        vat_category=category,
        vat_rate=Decimal(rate),
    )


def german_invoice(**overrides) -> InvoiceDocument:
    lines = (gpu_line(1, "S", "19.00"), gpu_line(2, "S", "19.00", quantity="13.5", price="1.2345"))
    invoice = InvoiceDocument(
        number="RE-2026-000042",
        type_code="380",
        issue_date=date(2026, 12, 1),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        seller=SELLER,
        buyer=Party("Beispiel AG", "Hauptstraße 1", "80331", "München", "DE", vat_id="DE987654320"),
        lines=lines,
        net_amount=Decimal("1780.67"),
        vat_breakdown=(VatBreakdownEntry("S", Decimal("19.00"), Decimal("1780.67"), Decimal("338.33")),),
        vat_amount=Decimal("338.33"),
        gross_amount=Decimal("2119.00"),
        payment_terms="Zahlbar innerhalb von 14 Tagen ohne Abzug.",
        seller_iban="DE02120300000000202051",
        seller_bic="BYLADEM1001",
        buyer_reference="PO-4711",
        seller_contact=CONTACT,
        due_date=date(2026, 12, 15),
    )
    return replace(invoice, **overrides)


def reverse_charge_invoice() -> InvoiceDocument:
    return InvoiceDocument(
        number="RE-2026-000043",
        type_code="380",
        issue_date=date(2026, 12, 1),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        seller=SELLER,
        buyer=Party("Voorbeeld B.V.", "Damrak 1", "1012 LG", "Amsterdam", "NL", vat_id="NL123456789B01"),
        lines=(gpu_line(1, "AE", "0.00"),),
        net_amount=Decimal("1764.00"),
        vat_breakdown=(
            VatBreakdownEntry(
                "AE", Decimal("0.00"), Decimal("1764.00"), Decimal("0.00"), "Reverse charge", "VATEX-EU-AE"
            ),
        ),
        vat_amount=Decimal("0.00"),
        gross_amount=Decimal("1764.00"),
        payment_terms="Payable within 14 days.",
        seller_iban="DE02120300000000202051",
        seller_bic="BYLADEM1001",
        buyer_reference="PO-4711",
        seller_contact=CONTACT,
        notes=(REVERSE_CHARGE_NOTE,),
        language="en",
    )


def swiss_invoice() -> InvoiceDocument:
    return InvoiceDocument(
        number="RE-2026-000044",
        type_code="380",
        issue_date=date(2026, 12, 1),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        seller=SELLER,
        buyer=Party("Beispiel Schweiz AG", "Bahnhofstrasse 1", "8001", "Zürich", "CH", vat_id="CHE-123.456.788 MWST"),
        lines=(gpu_line(1, "O", "0.00"),),
        net_amount=Decimal("1764.00"),
        vat_breakdown=(
            VatBreakdownEntry(
                "O", Decimal("0.00"), Decimal("1764.00"), Decimal("0.00"), "Not subject to VAT", "VATEX-EU-O"
            ),
        ),
        vat_amount=Decimal("0.00"),
        gross_amount=Decimal("1764.00"),
        payment_terms="Payable within 14 days.",
        seller_iban="DE02120300000000202051",
        seller_bic="BYLADEM1001",
        buyer_reference="PO-4711",
        seller_contact=CONTACT,
        notes=(NOT_SUBJECT_NOTE,),
        language="en",
    )


def credit_note() -> InvoiceDocument:
    return german_invoice(
        number="GS-2026-000001",
        type_code="381",
        issue_date=date(2026, 12, 3),
        lines=(gpu_line(1, "S", "19.00", quantity="10"),),
        net_amount=Decimal("24.50"),
        vat_breakdown=(VatBreakdownEntry("S", Decimal("19.00"), Decimal("24.50"), Decimal("4.66")),),
        vat_amount=Decimal("4.66"),
        gross_amount=Decimal("29.16"),
        payment_terms="Der Betrag wird Ihrem Konto gutgeschrieben.",
        due_date=None,
        preceding_invoice_number="RE-2026-000042",
        preceding_invoice_date=date(2026, 12, 1),
        notes=("Gutschrift zu Rechnung RE-2026-000042: 10 GPU-Stunden Ausfallzeit.",),
    )


DOCUMENTS = {
    "german-19-percent": german_invoice,
    "eu-reverse-charge": reverse_charge_invoice,
    "swiss-not-subject": swiss_invoice,
    "credit-note": credit_note,
}


def text(xml: bytes, path: str) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=NSMAP)]


def assert_valid_en16931(xml: bytes) -> None:
    """The XML passes the Factur-X XSD and the CEN EN 16931 schematron; an XRechnung also KoSIT's schematron."""
    xrechnung = text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [XRECHNUNG_GUIDELINE]
    reports = [schematron_report(xml)] if not xrechnung else [xrechnung_report(xml)]
    for report in reports:
        for warning in report.warnings:
            print(f"schematron warning {warning.rule} at {warning.location}: {warning.text}")
    assert e_invoice_problems(xml, xrechnung=xrechnung) == []


def assert_valid_e_invoices(doc: InvoiceDocument) -> tuple[bytes, bytes]:
    """Both XMLs of a document (EN 16931 and XRechnung) pass every check; returns them."""
    en16931, xrechnung = cii_xml(doc), xrechnung_xml(doc)
    assert_valid_en16931(en16931)
    assert_valid_en16931(xrechnung)
    assert xrechnung_report(xrechnung).errors == ()
    return en16931, xrechnung


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_the_xml_passes_the_official_en16931_xsd_and_schematron(build):
    assert_valid_en16931(cii_xml(build()))


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_the_xrechnung_passes_the_kosit_schematron_and_the_cen_rules(build):
    en16931, xrechnung = assert_valid_e_invoices(build())

    assert text(xrechnung, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    ]
    # The same invoice: only BT-24 differs.
    assert xrechnung.replace(XRECHNUNG_GUIDELINE.encode(), b"urn:cen.eu:en16931:2017") == en16931
    assert text(xrechnung, "//ram:BuyerReference/text()") == ["PO-4711"]
    assert text(xrechnung, "//ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName/text()") == [
        "Kontor Buchhaltung"
    ]
    assert text(
        xrechnung, "//ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber/text()"
    ) == ["+49 30 1234567"]
    assert text(xrechnung, "//ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID/text()") == [
        "rechnung@kontor.example"
    ]


def test_a_public_buyer_gets_its_leitweg_id_as_buyer_reference_and_the_po_as_order_reference():
    doc = german_invoice(buyer_reference="991-33333TEST-33", order_reference="PO-4711")

    _, xrechnung = assert_valid_e_invoices(doc)

    assert text(xrechnung, "//ram:BuyerReference/text()") == ["991-33333TEST-33"]
    assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-4711"]


def test_an_xrechnung_without_buyer_reference_or_seller_contact_is_refused():
    with pytest.raises(DocumentError, match="BT-10"):
        xrechnung_xml(german_invoice(buyer_reference=""))
    with pytest.raises(DocumentError, match="BG-6"):
        xrechnung_xml(german_invoice(seller_contact=None))


def test_the_kosit_schematron_does_catch_what_xrechnung_requires():
    # Without BT-10 and BG-6 (allowed in EN 16931) under the XRechnung identifier: KoSIT refuses it, CEN does not.
    xml = cii_xml(german_invoice(buyer_reference="", seller_contact=None), guideline=XRECHNUNG_GUIDELINE)

    assert sorted({error.rule for error in xrechnung_report(xml).errors}) == ["BR-DE-15", "BR-DE-2"]
    assert [problem.split(":")[0] for problem in e_invoice_problems(xml, xrechnung=True)] == ["BR-DE-15", "BR-DE-2"]
    # BR-DE-21 (BT-24 is not the XRechnung identifier) is a warning in KoSIT's rules: the Factur-X XML gets it.
    assert [warning.rule for warning in xrechnung_report(cii_xml(german_invoice())).warnings] == ["BR-DE-21"]


def test_lines_carry_their_service_period():
    line = replace(gpu_line(1, "S", "19.00"), period_start=date(2026, 11, 3), period_end=date(2026, 11, 20))
    doc = german_invoice(lines=(line, german_invoice().lines[1]))

    _, xrechnung = assert_valid_e_invoices(doc)

    assert text(
        xrechnung, "//ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod/*/udt:DateTimeString/text()"
    ) == [
        "20261103",
        "20261120",
    ]
    with pytest.raises(DocumentError, match="ends before it starts"):
        replace(line, period_start=date(2026, 11, 21))


def test_the_schematron_check_does_catch_a_broken_total():
    xml = cii_xml(german_invoice()).replace(
        b"<ram:GrandTotalAmount>2119.00</ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>2119.01</ram:GrandTotalAmount>"
    )

    assert xsd_errors(xml) == []
    assert "BR-CO-15" in [error.rule for error in schematron_report(xml).errors]


def test_the_german_invoice_carries_the_en16931_terms():
    xml = cii_xml(german_invoice())

    assert text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == ["urn:cen.eu:en16931:2017"]
    assert text(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID/text()") == ["RE-2026-000042"]
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert text(xml, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString/text()") == ["20261201"]
    assert text(xml, "//ram:InvoiceCurrencyCode/text()") == ["EUR"]
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["DE123456788"]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["DE987654320"]
    assert text(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID/text()") == ["DE"]
    assert text(xml, "//ram:AssociatedDocumentLineDocument/ram:LineID/text()") == ["1", "2"]
    assert text(xml, "//ram:BilledQuantity/text()") == ["720", "13.5"]
    assert text(xml, "//ram:BilledQuantity/@unitCode") == ["HUR", "HUR"]
    assert text(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()") == ["2.45", "1.2345"]
    assert text(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()") == [
        "1764.00",
        "16.67",
    ]
    assert text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["58"]
    assert text(xml, "//ram:IBANID/text()") == ["DE02120300000000202051"]
    assert text(xml, "//ram:BillingSpecifiedPeriod/*/udt:DateTimeString/text()") == ["20261101", "20261130"]
    assert text(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString/text()") == ["20261215"]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert text(xml, summation + "ram:LineTotalAmount/text()") == ["1780.67"]
    assert text(xml, summation + "ram:TaxBasisTotalAmount/text()") == ["1780.67"]
    assert text(xml, summation + "ram:TaxTotalAmount/text()") == ["338.33"]
    assert text(xml, summation + "ram:TaxTotalAmount/@currencyID") == ["EUR"]
    assert text(xml, summation + "ram:GrandTotalAmount/text()") == ["2119.00"]
    assert text(xml, summation + "ram:DuePayableAmount/text()") == ["2119.00"]


def test_reverse_charge_names_both_vat_ids_and_the_exemption():
    xml = cii_xml(reverse_charge_invoice())

    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["DE123456788"]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["NL123456789B01"]
    breakdown = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert text(xml, breakdown + "ram:CategoryCode/text()") == ["AE"]
    assert text(xml, breakdown + "ram:RateApplicablePercent/text()") == ["0"]
    assert text(xml, breakdown + "ram:CalculatedAmount/text()") == ["0.00"]
    assert text(xml, breakdown + "ram:ExemptionReason/text()") == ["Reverse charge"]
    assert text(xml, breakdown + "ram:ExemptionReasonCode/text()") == ["VATEX-EU-AE"]
    assert text(xml, "//ram:IncludedNote/ram:Content/text()") == [REVERSE_CHARGE_NOTE]


def test_not_subject_to_vat_carries_no_vat_ids_and_no_rate():
    xml = cii_xml(swiss_invoice())

    # BR-O-02 forbids VAT identifiers; BR-CO-26 is met by the commercial register entry (BT-30).
    assert text(xml, "//ram:SpecifiedTaxRegistration/ram:ID/text()") == []
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/text()") == ["HRB 123456 B"]
    # BR-O-05: no rate on the line; BR-DE-14: the breakdown says 0 (BT-119).
    assert text(xml, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent/text()") == []
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent/text()"
    ) == ["0"]
    assert text(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode/text()") == [
        "VATEX-EU-O"
    ]


def test_the_credit_note_cites_its_invoice():
    xml = cii_xml(credit_note())

    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == ["RE-2026-000042"]
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString/text()") == [
        "20261201"
    ]
    assert text(xml, "//ram:GrandTotalAmount/text()") == ["29.16"]


def test_a_credit_note_without_its_invoice_is_refused():
    with pytest.raises(DocumentError, match="BT-25"):
        german_invoice(type_code="381")


def test_totals_that_do_not_add_up_are_refused():
    with pytest.raises(DocumentError, match="gross amount"):
        german_invoice(gross_amount=Decimal("2119.01"))
    with pytest.raises(DocumentError, match="breakdown does not match"):
        german_invoice(
            vat_breakdown=(VatBreakdownEntry("S", Decimal("19.00"), Decimal("1764.00"), Decimal("335.16")),),
            vat_amount=Decimal("335.16"),
            gross_amount=Decimal("2115.83"),
        )


def test_reverse_charge_without_the_buyers_vat_id_is_refused():
    invoice = reverse_charge_invoice()

    with pytest.raises(DocumentError, match="BR-AE-03"):
        german_invoice(
            buyer=Party("Voorbeeld B.V.", "Damrak 1", "1012 LG", "Amsterdam", "NL"),
            lines=invoice.lines,
            net_amount=invoice.net_amount,
            vat_breakdown=invoice.vat_breakdown,
            vat_amount=invoice.vat_amount,
            gross_amount=invoice.gross_amount,
        )
