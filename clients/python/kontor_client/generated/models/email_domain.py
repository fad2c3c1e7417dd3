from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.email_domain_status_enum import EmailDomainStatusEnum

T = TypeVar("T", bound="EmailDomain")


@_attrs_define
class EmailDomain:
    """
    Attributes:
        id (int):
        domain (str):
        status (EmailDomainStatusEnum): * `pending` - Waiting for the DNS record
            * `verified` - Verified
            * `failed` - Not found in DNS Default: EmailDomainStatusEnum.PENDING.
        record_name (str):
        record_value (str):
        verified_at (datetime.datetime | None):
        last_checked_at (datetime.datetime | None):
        last_error (str):
        created_at (str):
    """

    id: int
    domain: str
    record_name: str
    record_value: str
    verified_at: datetime.datetime | None
    last_checked_at: datetime.datetime | None
    last_error: str
    created_at: str
    status: EmailDomainStatusEnum = EmailDomainStatusEnum.PENDING
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        domain = self.domain

        status = self.status.value

        record_name = self.record_name

        record_value = self.record_value

        verified_at: None | str
        if isinstance(self.verified_at, datetime.datetime):
            verified_at = self.verified_at.isoformat()
        else:
            verified_at = self.verified_at

        last_checked_at: None | str
        if isinstance(self.last_checked_at, datetime.datetime):
            last_checked_at = self.last_checked_at.isoformat()
        else:
            last_checked_at = self.last_checked_at

        last_error = self.last_error

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "domain": domain,
                "status": status,
                "record_name": record_name,
                "record_value": record_value,
                "verified_at": verified_at,
                "last_checked_at": last_checked_at,
                "last_error": last_error,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        domain = d.pop("domain")

        status = EmailDomainStatusEnum(d.pop("status"))

        record_name = d.pop("record_name")

        record_value = d.pop("record_value")

        def _parse_verified_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                verified_at_type_0 = datetime.datetime.fromisoformat(data)

                return verified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        verified_at = _parse_verified_at(d.pop("verified_at"))

        def _parse_last_checked_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_checked_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_checked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_checked_at = _parse_last_checked_at(d.pop("last_checked_at"))

        last_error = d.pop("last_error")

        created_at = d.pop("created_at")

        email_domain = cls(
            id=id,
            domain=domain,
            status=status,
            record_name=record_name,
            record_value=record_value,
            verified_at=verified_at,
            last_checked_at=last_checked_at,
            last_error=last_error,
            created_at=created_at,
        )

        email_domain.additional_properties = d
        return email_domain

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
