from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_request_data_status import QuotaRequestDataStatus

T = TypeVar("T", bound="QuotaRequestData")


@_attrs_define
class QuotaRequestData:
    """
    Attributes:
        id (int):
        gpu_model (str):
        requested_gpus (int):
        status (QuotaRequestDataStatus): * `approved` - approved
            * `rejected` - rejected
        decision_note (str):
        decided_at (datetime.datetime):
    """

    id: int
    gpu_model: str
    requested_gpus: int
    status: QuotaRequestDataStatus
    decision_note: str
    decided_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        gpu_model = self.gpu_model

        requested_gpus = self.requested_gpus

        status = self.status.value

        decision_note = self.decision_note

        decided_at = self.decided_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "gpu_model": gpu_model,
                "requested_gpus": requested_gpus,
                "status": status,
                "decision_note": decision_note,
                "decided_at": decided_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        gpu_model = d.pop("gpu_model")

        requested_gpus = d.pop("requested_gpus")

        status = QuotaRequestDataStatus(d.pop("status"))

        decision_note = d.pop("decision_note")

        decided_at = datetime.datetime.fromisoformat(d.pop("decided_at"))

        quota_request_data = cls(
            id=id,
            gpu_model=gpu_model,
            requested_gpus=requested_gpus,
            status=status,
            decision_note=decision_note,
            decided_at=decided_at,
        )

        quota_request_data.additional_properties = d
        return quota_request_data

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
