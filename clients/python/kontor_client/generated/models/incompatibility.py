from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.rule_enum import RuleEnum

T = TypeVar("T", bound="Incompatibility")


@_attrs_define
class Incompatibility:
    """
    Attributes:
        rule (RuleEnum): * `gpu_memory` - gpu_memory
            * `ray_tracing` - ray_tracing
            * `whole_node` - whole_node
            * `nvlink` - nvlink
        reason (str):
    """

    rule: RuleEnum
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule.value

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rule": rule,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        rule = RuleEnum(d.pop("rule"))

        reason = d.pop("reason")

        incompatibility = cls(
            rule=rule,
            reason=reason,
        )

        incompatibility.additional_properties = d
        return incompatibility

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
