from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.organization_status_enum import OrganizationStatusEnum

if TYPE_CHECKING:
    from ..models.vat_check import VatCheck


T = TypeVar("T", bound="ApprovalQueue")


@_attrs_define
class ApprovalQueue:
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
        status_reason (str):
        vat_id (str): Normalized, with its country prefix, e.g. DE123456789.
        vat_id_verified_at (datetime.datetime | None): When VIES (or an operator) last confirmed the VAT ID.
        street (str):
        postal_code (str):
        city (str):
        billing_email (str):
        approval_rule (str): Empty when an operator approved it.
        cloud_project_id (str):
        activation_error (str):
        created_at (str):
        vat_checks (list[VatCheck]):
        owner_email_verified (bool):
        possible_duplicates (list[str]):
    """

    slug: str
    legal_name: str
    country: str
    status: OrganizationStatusEnum
    status_reason: str
    vat_id: str
    vat_id_verified_at: datetime.datetime | None
    street: str
    postal_code: str
    city: str
    billing_email: str
    approval_rule: str
    cloud_project_id: str
    activation_error: str
    created_at: str
    vat_checks: list[VatCheck]
    owner_email_verified: bool
    possible_duplicates: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        legal_name = self.legal_name

        country = self.country

        status = self.status.value

        status_reason = self.status_reason

        vat_id = self.vat_id

        vat_id_verified_at: None | str
        if isinstance(self.vat_id_verified_at, datetime.datetime):
            vat_id_verified_at = self.vat_id_verified_at.isoformat()
        else:
            vat_id_verified_at = self.vat_id_verified_at

        street = self.street

        postal_code = self.postal_code

        city = self.city

        billing_email = self.billing_email

        approval_rule = self.approval_rule

        cloud_project_id = self.cloud_project_id

        activation_error = self.activation_error

        created_at = self.created_at

        vat_checks = []
        for vat_checks_item_data in self.vat_checks:
            vat_checks_item = vat_checks_item_data.to_dict()
            vat_checks.append(vat_checks_item)

        owner_email_verified = self.owner_email_verified

        possible_duplicates = self.possible_duplicates

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "legal_name": legal_name,
                "country": country,
                "status": status,
                "status_reason": status_reason,
                "vat_id": vat_id,
                "vat_id_verified_at": vat_id_verified_at,
                "street": street,
                "postal_code": postal_code,
                "city": city,
                "billing_email": billing_email,
                "approval_rule": approval_rule,
                "cloud_project_id": cloud_project_id,
                "activation_error": activation_error,
                "created_at": created_at,
                "vat_checks": vat_checks,
                "owner_email_verified": owner_email_verified,
                "possible_duplicates": possible_duplicates,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.vat_check import VatCheck  # noqa: PLC0415

        d = dict(src_dict)
        slug = d.pop("slug")

        legal_name = d.pop("legal_name")

        country = d.pop("country")

        status = OrganizationStatusEnum(d.pop("status"))

        status_reason = d.pop("status_reason")

        vat_id = d.pop("vat_id")

        def _parse_vat_id_verified_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                vat_id_verified_at_type_0 = datetime.datetime.fromisoformat(data)

                return vat_id_verified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        vat_id_verified_at = _parse_vat_id_verified_at(d.pop("vat_id_verified_at"))

        street = d.pop("street")

        postal_code = d.pop("postal_code")

        city = d.pop("city")

        billing_email = d.pop("billing_email")

        approval_rule = d.pop("approval_rule")

        cloud_project_id = d.pop("cloud_project_id")

        activation_error = d.pop("activation_error")

        created_at = d.pop("created_at")

        vat_checks = []
        _vat_checks = d.pop("vat_checks")
        for vat_checks_item_data in _vat_checks:
            vat_checks_item = VatCheck.from_dict(vat_checks_item_data)

            vat_checks.append(vat_checks_item)

        owner_email_verified = d.pop("owner_email_verified")

        possible_duplicates = cast(list[str], d.pop("possible_duplicates"))

        approval_queue = cls(
            slug=slug,
            legal_name=legal_name,
            country=country,
            status=status,
            status_reason=status_reason,
            vat_id=vat_id,
            vat_id_verified_at=vat_id_verified_at,
            street=street,
            postal_code=postal_code,
            city=city,
            billing_email=billing_email,
            approval_rule=approval_rule,
            cloud_project_id=cloud_project_id,
            activation_error=activation_error,
            created_at=created_at,
            vat_checks=vat_checks,
            owner_email_verified=owner_email_verified,
            possible_duplicates=possible_duplicates,
        )

        approval_queue.additional_properties = d
        return approval_queue

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
