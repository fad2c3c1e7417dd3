from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.organization_status_enum import OrganizationStatusEnum

T = TypeVar("T", bound="Organization")


@_attrs_define
class Organization:
    """
    Attributes:
        slug (str):
        legal_name (str):
        country (str):
        status (OrganizationStatusEnum): * `pending_verification` - Pending e-mail verification
            * `pending_approval` - Pending approval
            * `provisioning` - Provisioning
            * `active` - Active
            * `rejected` - Rejected
            * `suspended` - Suspended
            * `closed` - Closed
        created_at (str):
    """

    slug: str
    legal_name: str
    country: str
    status: OrganizationStatusEnum
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        legal_name = self.legal_name

        country = self.country

        status = self.status.value

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "legal_name": legal_name,
                "country": country,
                "status": status,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        slug = d.pop("slug")

        legal_name = d.pop("legal_name")

        country = d.pop("country")

        status = OrganizationStatusEnum(d.pop("status"))

        created_at = d.pop("created_at")

        organization = cls(
            slug=slug,
            legal_name=legal_name,
            country=country,
            status=status,
            created_at=created_at,
        )

        organization.additional_properties = d
        return organization

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
