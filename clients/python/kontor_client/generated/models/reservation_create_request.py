from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReservationCreateRequest")


@_attrs_define
class ReservationCreateRequest:
    """
    Attributes:
        quote (int): An open quote of this organization: the reservation keeps its price.
        zone (None | str | Unset): An availability zone; omit for any.
        ssh_keys (list[int] | None | Unset): IDs of SSH keys for the servers; omit for yours and the organization's
            shared ones, [] for none.
        public_address (bool | Unset): A floating IP per server, reachable only from the organization's allowed
            networks. Default: False.
        purchase_order_reference (str | Unset): Your purchase-order number for this order, printed on the invoices that
            bill it (BT-13, or per line); at most 35 printable characters. Default: ''.
    """

    quote: int
    zone: None | str | Unset = UNSET
    ssh_keys: list[int] | None | Unset = UNSET
    public_address: bool | Unset = False
    purchase_order_reference: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        quote = self.quote

        zone: None | str | Unset
        if isinstance(self.zone, Unset):
            zone = UNSET
        else:
            zone = self.zone

        ssh_keys: list[int] | None | Unset
        if isinstance(self.ssh_keys, Unset):
            ssh_keys = UNSET
        elif isinstance(self.ssh_keys, list):
            ssh_keys = self.ssh_keys

        else:
            ssh_keys = self.ssh_keys

        public_address = self.public_address

        purchase_order_reference = self.purchase_order_reference

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "quote": quote,
            }
        )
        if zone is not UNSET:
            field_dict["zone"] = zone
        if ssh_keys is not UNSET:
            field_dict["ssh_keys"] = ssh_keys
        if public_address is not UNSET:
            field_dict["public_address"] = public_address
        if purchase_order_reference is not UNSET:
            field_dict["purchase_order_reference"] = purchase_order_reference

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        quote = d.pop("quote")

        def _parse_zone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        zone = _parse_zone(d.pop("zone", UNSET))

        def _parse_ssh_keys(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                ssh_keys_type_0 = cast(list[int], data)

                return ssh_keys_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        ssh_keys = _parse_ssh_keys(d.pop("ssh_keys", UNSET))

        public_address = d.pop("public_address", UNSET)

        purchase_order_reference = d.pop("purchase_order_reference", UNSET)

        reservation_create_request = cls(
            quote=quote,
            zone=zone,
            ssh_keys=ssh_keys,
            public_address=public_address,
            purchase_order_reference=purchase_order_reference,
        )

        reservation_create_request.additional_properties = d
        return reservation_create_request

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
