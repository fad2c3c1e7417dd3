"""The plain, frozen value an invoice document is built from.

Nothing here is computed: amounts arrive already rounded (``core.money.round_money``) and the constructors only
check that they add up, so the XML and the PDF show exactly the numbers the invoice was finalized with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.money import CENT, HUNDRED, round_money

INVOICE = "380"
CREDIT_NOTE = "381"
DOCUMENT_TYPES = (INVOICE, CREDIT_NOTE)
VAT_CATEGORIES = ("S", "AE", "O")
# UN/ECE Recommendation 20 has no GPU-hour: a GPU-hour is billed as an hour (HUR) of one GPU, and the line's
# description states GPUs x hours; documents name the unit "GPU-hours".
HOUR = "HUR"
ZERO = Decimal("0.00")


class DocumentError(ValueError):
    """The document's values contradict each other or EN 16931; nothing can be rendered from it."""


def _require_cents(name: str, amount: Decimal) -> None:
    if amount != amount.quantize(CENT):
        raise DocumentError(f"{name} must be rounded to the cent, got {amount}.")


@dataclass(frozen=True)
class Party:
    """Seller or buyer as printed and sent: full name and postal address, ISO 3166 country, VAT ID if any.

    ``registration_id`` is the commercial register entry (BT-30, e.g. "HRB 123456, Amtsgericht Berlin") and
    ``tax_number`` the German Steuernummer (BT-32); a seller needs them on documents that may not carry its VAT ID.
    """

    name: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str = ""
    email: str = ""
    registration_id: str = ""
    tax_number: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One invoice line (BG-25). ``net_amount`` is the line's rounded net; the rate is in percent (0 for AE/O).

    ``net_amount`` is ``quantity x unit_price`` rounded to the cent. When the caller rounded the quantity itself
    (``quantity_rounded``: billing computes the net from exact GPU-seconds and shows GPU-hours to six decimals), the
    net may differ from the shown quantity times the price by at most one cent; EN 16931 has no rule tying BT-131
    to BT-129 x BT-146, only the totals must add up, which ``InvoiceDocument`` checks.
    """

    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    vat_category: str
    vat_rate: Decimal
    unit_code: str = HOUR
    quantity_rounded: bool = False
    period_start: date | None = None  # BT-134, the first day this line bills
    period_end: date | None = None  # BT-135, the last day (inclusive)
    note: str = ""  # BT-127, e.g. the line's purchase order when the lines have different ones

    def __post_init__(self) -> None:
        if self.vat_category not in VAT_CATEGORIES:
            raise DocumentError(f"Unknown VAT category {self.vat_category!r}.")
        if (self.period_start is None) != (self.period_end is None):
            raise DocumentError(f"Line {self.position}: a service period needs both its start and its end.")
        if self.period_start is not None and self.period_end is not None and self.period_start > self.period_end:
            raise DocumentError(f"Line {self.position}: the service period ends before it starts.")
        if self.vat_category != "S" and self.vat_rate != ZERO:
            raise DocumentError(f"Category {self.vat_category} has a rate of 0, got {self.vat_rate}.")
        _require_cents(f"Line {self.position} net amount", self.net_amount)
        difference = abs(self.net_amount - round_money(self.quantity * self.unit_price))
        if difference > (CENT if self.quantity_rounded else ZERO):
            raise DocumentError(f"Line {self.position}: net amount is not quantity x unit price, rounded.")


@dataclass(frozen=True)
class Contact:
    """The seller contact (BG-6): a person or department, a phone number and an e-mail address."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class VatBreakdownEntry:
    """One VAT breakdown (BG-23): the taxable sum of one (category, rate), its VAT and, for AE/O, the exemption."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str = ""
    exemption_code: str = ""

    def __post_init__(self) -> None:
        if self.category not in VAT_CATEGORIES:
            raise DocumentError(f"Unknown VAT category {self.category!r}.")
        _require_cents("Taxable amount", self.taxable_amount)
        _require_cents("Tax amount", self.tax_amount)
        if self.tax_amount != round_money(self.taxable_amount * self.rate / HUNDRED):
            raise DocumentError(f"VAT of category {self.category} is not taxable amount x rate, rounded.")
        if self.category != "S" and not (self.exemption_reason and self.exemption_code):
            raise DocumentError(f"Category {self.category} needs an exemption reason and code (BT-120, BT-121).")


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice (380) or credit note (381) ready to render.

    Invariants checked on construction: the line nets add up to ``net_amount``; the breakdown has one entry per
    (category, rate) of the lines, each taxing exactly their sum; ``vat_amount`` is the sum of the breakdown's VAT
    and ``gross_amount`` is net plus VAT; a credit note names the invoice it corrects (BT-25); reverse charge
    carries both VAT IDs. Credit-note amounts are positive: the type code says which way the money goes.
    """

    number: str
    type_code: str
    issue_date: date
    period_start: date
    period_end: date
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    net_amount: Decimal
    vat_breakdown: tuple[VatBreakdownEntry, ...]
    vat_amount: Decimal
    gross_amount: Decimal
    payment_terms: str
    seller_iban: str
    seller_bic: str
    notes: tuple[str, ...] = ()
    preceding_invoice_number: str = ""
    preceding_invoice_date: date | None = None
    due_date: date | None = None
    buyer_reference: str = ""  # BT-10
    order_reference: str = ""  # BT-13
    seller_contact: Contact | None = None  # BG-6
    currency: str = "EUR"
    language: str = "de"
    categories: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", frozenset(line.vat_category for line in self.lines))
        if self.type_code not in DOCUMENT_TYPES:
            raise DocumentError(f"Unknown document type {self.type_code!r}.")
        if self.type_code == CREDIT_NOTE and not self.preceding_invoice_number:
            raise DocumentError("A credit note must cite the invoice it corrects (BT-25).")
        if self.language not in ("de", "en"):
            raise DocumentError(f"Unsupported language {self.language!r}.")
        if not self.lines:
            raise DocumentError("A document needs at least one line.")
        if self.period_start > self.period_end:
            raise DocumentError("The service period ends before it starts.")
        for name in ("net_amount", "vat_amount", "gross_amount"):
            _require_cents(name, getattr(self, name))
        if self.net_amount != sum((line.net_amount for line in self.lines), ZERO):
            raise DocumentError("The line nets do not add up to the net amount.")
        expected: dict[tuple[str, Decimal], Decimal] = {}
        for line in self.lines:
            key = (line.vat_category, line.vat_rate)
            expected[key] = expected.get(key, ZERO) + line.net_amount
        actual = {(entry.category, entry.rate): entry.taxable_amount for entry in self.vat_breakdown}
        if len(actual) != len(self.vat_breakdown) or actual != expected:
            raise DocumentError("The VAT breakdown does not match the lines.")
        if self.vat_amount != sum((entry.tax_amount for entry in self.vat_breakdown), ZERO):
            raise DocumentError("The VAT amount is not the sum of the breakdown.")
        if self.gross_amount != self.net_amount + self.vat_amount:
            raise DocumentError("The gross amount is not net plus VAT.")
        if "AE" in self.categories and not (self.seller.vat_id and self.buyer.vat_id):
            raise DocumentError("Reverse charge needs the VAT IDs of seller and buyer (BR-AE-03).")
        if "O" in self.categories and len(self.categories) > 1:
            raise DocumentError("A not-taxable (O) document cannot contain other VAT categories (BR-O-11).")
