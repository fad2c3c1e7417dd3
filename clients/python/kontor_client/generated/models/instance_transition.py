from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InstanceTransition")


@_attrs_define
class InstanceTransition:
    """
    Attributes:
        from_state (str):
        to_state (str):
        reason (str):
        at (datetime.datetime):
    """

    from_state: str
    to_state: str
    reason: str
    at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_state = self.from_state

        to_state = self.to_state

        reason = self.reason

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from_state": from_state,
                "to_state": to_state,
                "reason": reason,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        from_state = d.pop("from_state")

        to_state = d.pop("to_state")

        reason = d.pop("reason")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        instance_transition = cls(
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            at=at,
        )

        instance_transition.additional_properties = d
        return instance_transition

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
