from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QuotaRequestCreateRequest")


@_attrs_define
class QuotaRequestCreateRequest:
    """
    Attributes:
        gpu_model (str):
        requested_gpus (int):
        reason (str | Unset):
    """

    gpu_model: str
    requested_gpus: int
    reason: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        gpu_model = self.gpu_model

        requested_gpus = self.requested_gpus

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "gpu_model": gpu_model,
                "requested_gpus": requested_gpus,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        gpu_model = d.pop("gpu_model")

        requested_gpus = d.pop("requested_gpus")

        reason = d.pop("reason", UNSET)

        quota_request_create_request = cls(
            gpu_model=gpu_model,
            requested_gpus=requested_gpus,
            reason=reason,
        )

        quota_request_create_request.additional_properties = d
        return quota_request_create_request

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
