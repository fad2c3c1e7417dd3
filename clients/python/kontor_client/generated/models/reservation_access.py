from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.reservation_access_ssh_keys_item import ReservationAccessSshKeysItem


T = TypeVar("T", bound="ReservationAccess")


@_attrs_define
class ReservationAccess:
    """What the order chose: a public address or not, and the SSH keys (a snapshot) its servers get.

    Attributes:
        public_address (bool):
        ssh_keys (list[ReservationAccessSshKeysItem]):
        secured_endpoint (bool): TLS proxy with a bearer token in front of the service.
        tls_fingerprint (str): SHA-256 of the endpoint's self-signed certificate.
    """

    public_address: bool
    ssh_keys: list[ReservationAccessSshKeysItem]
    secured_endpoint: bool
    tls_fingerprint: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        public_address = self.public_address

        ssh_keys = []
        for ssh_keys_item_data in self.ssh_keys:
            ssh_keys_item = ssh_keys_item_data.to_dict()
            ssh_keys.append(ssh_keys_item)

        secured_endpoint = self.secured_endpoint

        tls_fingerprint = self.tls_fingerprint

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "public_address": public_address,
                "ssh_keys": ssh_keys,
                "secured_endpoint": secured_endpoint,
                "tls_fingerprint": tls_fingerprint,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.reservation_access_ssh_keys_item import ReservationAccessSshKeysItem  # noqa: PLC0415

        d = dict(src_dict)
        public_address = d.pop("public_address")

        ssh_keys = []
        _ssh_keys = d.pop("ssh_keys")
        for ssh_keys_item_data in _ssh_keys:
            ssh_keys_item = ReservationAccessSshKeysItem.from_dict(ssh_keys_item_data)

            ssh_keys.append(ssh_keys_item)

        secured_endpoint = d.pop("secured_endpoint")

        tls_fingerprint = d.pop("tls_fingerprint")

        reservation_access = cls(
            public_address=public_address,
            ssh_keys=ssh_keys,
            secured_endpoint=secured_endpoint,
            tls_fingerprint=tls_fingerprint,
        )

        reservation_access.additional_properties = d
        return reservation_access

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
