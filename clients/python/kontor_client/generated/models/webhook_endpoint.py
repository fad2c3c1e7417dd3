from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_endpoint_status_enum import WebhookEndpointStatusEnum

T = TypeVar("T", bound="WebhookEndpoint")


@_attrs_define
class WebhookEndpoint:
    """
    Attributes:
        id (int):
        url (str):
        description (str):
        event_types (Any):
        status (WebhookEndpointStatusEnum): * `enabled` - Enabled
            * `failing` - Failing
            * `disabled` - Disabled
        failing_since (datetime.datetime | None):
        secret_rotation_ends_at (datetime.datetime | None):
        created_at (str):
        updated_at (str):
    """

    id: int
    url: str
    description: str
    event_types: Any
    status: WebhookEndpointStatusEnum
    failing_since: datetime.datetime | None
    secret_rotation_ends_at: datetime.datetime | None
    created_at: str
    updated_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        description = self.description

        event_types = self.event_types

        status = self.status.value

        failing_since: None | str
        if isinstance(self.failing_since, datetime.datetime):
            failing_since = self.failing_since.isoformat()
        else:
            failing_since = self.failing_since

        secret_rotation_ends_at: None | str
        if isinstance(self.secret_rotation_ends_at, datetime.datetime):
            secret_rotation_ends_at = self.secret_rotation_ends_at.isoformat()
        else:
            secret_rotation_ends_at = self.secret_rotation_ends_at

        created_at = self.created_at

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "description": description,
                "event_types": event_types,
                "status": status,
                "failing_since": failing_since,
                "secret_rotation_ends_at": secret_rotation_ends_at,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        description = d.pop("description")

        event_types = d.pop("event_types")

        status = WebhookEndpointStatusEnum(d.pop("status"))

        def _parse_failing_since(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failing_since_type_0 = datetime.datetime.fromisoformat(data)

                return failing_since_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        failing_since = _parse_failing_since(d.pop("failing_since"))

        def _parse_secret_rotation_ends_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                secret_rotation_ends_at_type_0 = datetime.datetime.fromisoformat(data)

                return secret_rotation_ends_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        secret_rotation_ends_at = _parse_secret_rotation_ends_at(d.pop("secret_rotation_ends_at"))

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        webhook_endpoint = cls(
            id=id,
            url=url,
            description=description,
            event_types=event_types,
            status=status,
            failing_since=failing_since,
            secret_rotation_ends_at=secret_rotation_ends_at,
            created_at=created_at,
            updated_at=updated_at,
        )

        webhook_endpoint.additional_properties = d
        return webhook_endpoint

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
