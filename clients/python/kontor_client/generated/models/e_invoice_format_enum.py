from enum import StrEnum


class EInvoiceFormatEnum(StrEnum):
    BOTH = "both"
    FACTURX = "facturx"
    XRECHNUNG = "xrechnung"

    def __str__(self) -> str:
        return str(self.value)
