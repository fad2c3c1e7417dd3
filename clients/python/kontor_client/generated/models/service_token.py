from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ServiceToken")


@_attrs_define
class ServiceToken:
    """
    Attributes:
        token (str): Send it as `Authorization: Bearer <token>`.
        tls_fingerprint (str):
        curl (str): An example request against the first server.
    """

    token: str
    tls_fingerprint: str
    curl: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        tls_fingerprint = self.tls_fingerprint

        curl = self.curl

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "token": token,
                "tls_fingerprint": tls_fingerprint,
                "curl": curl,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        token = d.pop("token")

        tls_fingerprint = d.pop("tls_fingerprint")

        curl = d.pop("curl")

        service_token = cls(
            token=token,
            tls_fingerprint=tls_fingerprint,
            curl=curl,
        )

        service_token.additional_properties = d
        return service_token

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
