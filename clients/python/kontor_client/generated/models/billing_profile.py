from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.e_invoice_format_enum import EInvoiceFormatEnum

T = TypeVar("T", bound="BillingProfile")


@_attrs_define
class BillingProfile:
    """
    Attributes:
        buyer_reference (str):
        leitweg_id (str):
        e_invoice_format (EInvoiceFormatEnum): * `facturx` - Factur-X PDF (EN 16931)
            * `xrechnung` - XRechnung 3.0 (CII XML)
            * `both` - Factur-X PDF and XRechnung
        billing_email (str): Where invoices are e-mailed; empty: to the organization's owners.
    """

    buyer_reference: str
    leitweg_id: str
    e_invoice_format: EInvoiceFormatEnum
    billing_email: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        buyer_reference = self.buyer_reference

        leitweg_id = self.leitweg_id

        e_invoice_format = self.e_invoice_format.value

        billing_email = self.billing_email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "buyer_reference": buyer_reference,
                "leitweg_id": leitweg_id,
                "e_invoice_format": e_invoice_format,
                "billing_email": billing_email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        buyer_reference = d.pop("buyer_reference")

        leitweg_id = d.pop("leitweg_id")

        e_invoice_format = EInvoiceFormatEnum(d.pop("e_invoice_format"))

        billing_email = d.pop("billing_email")

        billing_profile = cls(
            buyer_reference=buyer_reference,
            leitweg_id=leitweg_id,
            e_invoice_format=e_invoice_format,
            billing_email=billing_email,
        )

        billing_profile.additional_properties = d
        return billing_profile

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
