"""UN/CEFACT Cross Industry Invoice (D16B): the XML that is the e-invoice, in two specifications.

- ``cii_xml``: Factur-X / ZUGFeRD 2 "EN 16931" ("COMFORT"), guideline ``urn:cen.eu:en16931:2017`` (embedded in the
  Factur-X PDF and stored as the EN 16931 XML).
- ``xrechnung_xml``: the same content under the XRechnung 3.0 CIUS identifier (BT-24), which the KoSIT schematron
  checks on top of EN 16931; it refuses a document without buyer reference (BT-10) or seller contact (BG-6).

Both carry BT-10, BG-6, BT-13, the line notes (BT-127), the preceding invoice (BG-3) and the line periods (BG-26)
when the document has them, and BT-119 = 0 for the
zero-rated categories AE and O (BR-DE-14). Elements are written in the order the CII XSD requires; the comments
name the EN 16931 business terms (BT/BG).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from billing.documents.model import Contact, DocumentError, InvoiceDocument, Party
from core.money import CENT

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
XRECHNUNG_GUIDELINE = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
SEPA_CREDIT_TRANSFER = "58"


def _tag(qualified: str) -> str:
    prefix, local = qualified.split(":")
    return f"{{{NSMAP[prefix]}}}{local}"


def _sub(parent: etree._Element, qualified: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _tag(qualified), attrib=attributes or None)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def _decimal(value: Decimal) -> str:
    """Quantities, prices and rates keep their precision, never in exponent notation."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(parent: etree._Element, qualified: str, value: date, data_type: str = "udt") -> None:
    _sub(_sub(parent, qualified), f"{data_type}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _party(
    parent: etree._Element, qualified: str, party: Party, *, with_vat_id: bool, contact: Contact | None = None
) -> None:
    element = _sub(parent, qualified)
    _sub(element, "ram:Name", party.name)  # BT-27 / BT-44
    if party.registration_id:
        _sub(_sub(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.registration_id)  # BT-30 / BT-47
    if contact is not None:  # BG-6
        trade_contact = _sub(element, "ram:DefinedTradeContact")
        _sub(trade_contact, "ram:PersonName", contact.name)  # BT-41
        _sub(_sub(trade_contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", contact.phone)  # BT-42
        _sub(_sub(trade_contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", contact.email)  # BT-43
    address = _sub(element, "ram:PostalTradeAddress")  # BG-5 / BG-8
    _sub(address, "ram:PostcodeCode", party.postal_code)
    _sub(address, "ram:LineOne", party.street)
    _sub(address, "ram:CityName", party.city)
    _sub(address, "ram:CountryID", party.country)  # BT-40 / BT-55
    if party.email:
        _sub(_sub(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")  # BT-34/49
    if with_vat_id and party.vat_id:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")  # BT-31 / BT-48
    if party.tax_number:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")  # BT-32


def cii_xml(doc: InvoiceDocument, *, guideline: str = EN16931_GUIDELINE) -> bytes:
    """The document as CII XML (UTF-8, with declaration) under the given specification identifier (BT-24)."""
    currency = doc.currency
    # BR-O-02: a document with "not subject to VAT" lines carries no VAT identifiers at all.
    with_vat_ids = "O" not in doc.categories

    root = etree.Element(_tag("rsm:CrossIndustryInvoice"), nsmap=NSMAP)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", guideline)  # BT-24

    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", doc.number)  # BT-1
    _sub(header, "ram:TypeCode", doc.type_code)  # BT-3
    _date(header, "ram:IssueDateTime", doc.issue_date)  # BT-2
    for note in doc.notes:  # BG-1
        _sub(_sub(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:  # BG-25
        item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _sub(item, "ram:AssociatedDocumentLineDocument")
        _sub(line_document, "ram:LineID", str(line.position))  # BT-126
        if line.note:
            _sub(_sub(line_document, "ram:IncludedNote"), "ram:Content", line.note)  # BT-127
        _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)  # BT-153
        agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
        price = _sub(agreement, "ram:NetPriceProductTradePrice")
        _sub(price, "ram:ChargeAmount", _decimal(line.unit_price))  # BT-146
        delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
        _sub(delivery, "ram:BilledQuantity", _decimal(line.quantity), unitCode=line.unit_code)  # BT-129, BT-130
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", line.vat_category)  # BT-151
        if line.vat_category != "O":  # BR-O-05: no rate on a not-taxable line
            _sub(tax, "ram:RateApplicablePercent", _decimal(line.vat_rate))  # BT-152
        if line.period_start is not None and line.period_end is not None:
            line_period = _sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-26
            _date(line_period, "ram:StartDateTime", line.period_start)  # BT-134
            _date(line_period, "ram:EndDateTime", line.period_end)  # BT-135
        summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _sub(summation, "ram:LineTotalAmount", _amount(line.net_amount))  # BT-131

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer_reference:
        _sub(agreement, "ram:BuyerReference", doc.buyer_reference)  # BT-10
    _party(agreement, "ram:SellerTradeParty", doc.seller, with_vat_id=with_vat_ids, contact=doc.seller_contact)  # BG-4
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, with_vat_id=with_vat_ids)  # BG-7
    if doc.order_reference:
        _sub(_sub(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", doc.order_reference)  # BT-13

    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    # BT-72: the service is supplied until the end of the period (the invoicing period BG-14 is below).
    _date(_sub(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", doc.period_end)

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:PaymentReference", doc.number)  # BT-83
    _sub(settlement, "ram:InvoiceCurrencyCode", currency)  # BT-5
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")  # BG-16
    _sub(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)  # BT-81
    _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", doc.seller_iban)  # BT-84
    if doc.seller_bic:
        _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", doc.seller_bic)  # BT-86
    for entry in doc.vat_breakdown:  # BG-23
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(entry.tax_amount))  # BT-117
        _sub(tax, "ram:TypeCode", "VAT")
        if entry.exemption_reason:
            _sub(tax, "ram:ExemptionReason", entry.exemption_reason)  # BT-120
        _sub(tax, "ram:BasisAmount", _amount(entry.taxable_amount))  # BT-116
        _sub(tax, "ram:CategoryCode", entry.category)  # BT-118
        if entry.exemption_code:
            _sub(tax, "ram:ExemptionReasonCode", entry.exemption_code)  # BT-121
        # BT-119; BR-DE-14 wants it on every breakdown, 0 for the zero-rated categories AE and O.
        _sub(tax, "ram:RateApplicablePercent", _decimal(entry.rate) if entry.category == "S" else "0")
    period = _sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
    _date(period, "ram:StartDateTime", doc.period_start)  # BT-73
    _date(period, "ram:EndDateTime", doc.period_end)  # BT-74
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    _sub(terms, "ram:Description", doc.payment_terms)  # BT-20
    if doc.due_date is not None:
        _date(terms, "ram:DueDateDateTime", doc.due_date)  # BT-9
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
    _sub(totals, "ram:LineTotalAmount", _amount(doc.net_amount))  # BT-106
    _sub(totals, "ram:TaxBasisTotalAmount", _amount(doc.net_amount))  # BT-109
    _sub(totals, "ram:TaxTotalAmount", _amount(doc.vat_amount), currencyID=currency)  # BT-110
    _sub(totals, "ram:GrandTotalAmount", _amount(doc.gross_amount))  # BT-112
    _sub(totals, "ram:DuePayableAmount", _amount(doc.gross_amount))  # BT-115
    if doc.preceding_invoice_number:
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")  # BG-3
        _sub(reference, "ram:IssuerAssignedID", doc.preceding_invoice_number)  # BT-25
        if doc.preceding_invoice_date is not None:
            _date(reference, "ram:FormattedIssueDateTime", doc.preceding_invoice_date, "qdt")  # BT-26

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def xrechnung_xml(doc: InvoiceDocument) -> bytes:
    """The document as an XRechnung 3.0 CII invoice: BT-24 is the XRechnung CIUS; BT-10 and BG-6 are required."""
    if not doc.buyer_reference:
        raise DocumentError("An XRechnung needs the buyer reference (BT-10, BR-DE-15).")
    if doc.seller_contact is None:
        raise DocumentError("An XRechnung needs the seller contact (BG-6, BR-DE-2).")
    return cii_xml(doc, guideline=XRECHNUNG_GUIDELINE)
