from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.actor_type_enum import ActorTypeEnum

T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """
    Attributes:
        id (int):
        occurred_at (datetime.datetime):
        actor_type (ActorTypeEnum): * `user` - User
            * `api_key` - API key
            * `system` - System
        actor_label (str):
        organization (None | str):
        action (str):
        target_type (str):
        target_id (str):
        target_label (str):
        data (Any):
        ip_address (None | str):
        request_id (str):
    """

    id: int
    occurred_at: datetime.datetime
    actor_type: ActorTypeEnum
    actor_label: str
    organization: None | str
    action: str
    target_type: str
    target_id: str
    target_label: str
    data: Any
    ip_address: None | str
    request_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        occurred_at = self.occurred_at.isoformat()

        actor_type = self.actor_type.value

        actor_label = self.actor_label

        organization: None | str
        organization = self.organization

        action = self.action

        target_type = self.target_type

        target_id = self.target_id

        target_label = self.target_label

        data = self.data

        ip_address: None | str
        ip_address = self.ip_address

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "occurred_at": occurred_at,
                "actor_type": actor_type,
                "actor_label": actor_label,
                "organization": organization,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "target_label": target_label,
                "data": data,
                "ip_address": ip_address,
                "request_id": request_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        actor_type = ActorTypeEnum(d.pop("actor_type"))

        actor_label = d.pop("actor_label")

        def _parse_organization(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        organization = _parse_organization(d.pop("organization"))

        action = d.pop("action")

        target_type = d.pop("target_type")

        target_id = d.pop("target_id")

        target_label = d.pop("target_label")

        data = d.pop("data")

        def _parse_ip_address(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ip_address = _parse_ip_address(d.pop("ip_address"))

        request_id = d.pop("request_id")

        audit_event = cls(
            id=id,
            occurred_at=occurred_at,
            actor_type=actor_type,
            actor_label=actor_label,
            organization=organization,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            data=data,
            ip_address=ip_address,
            request_id=request_id,
        )

        audit_event.additional_properties = d
        return audit_event

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
