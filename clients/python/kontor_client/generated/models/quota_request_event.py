from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_request_event_type import QuotaRequestEventType

if TYPE_CHECKING:
    from ..models.quota_request_data import QuotaRequestData


T = TypeVar("T", bound="QuotaRequestEvent")


@_attrs_define
class QuotaRequestEvent:
    """
    Attributes:
        type_ (QuotaRequestEventType): * `reservation.created` - reservation.created
            * `reservation.scheduled` - reservation.scheduled
            * `reservation.provisioning` - reservation.provisioning
            * `reservation.active` - reservation.active
            * `reservation.ending` - reservation.ending
            * `reservation.ended` - reservation.ended
            * `reservation.cancelled` - reservation.cancelled
            * `reservation.failed` - reservation.failed
            * `reservation.extended` - reservation.extended
            * `instance.running` - instance.running
            * `instance.stopped` - instance.stopped
            * `instance.rebooted` - instance.rebooted
            * `invoice.finalized` - invoice.finalized
            * `credit_note.issued` - credit_note.issued
            * `budget.threshold_reached` - budget.threshold_reached
            * `quota_request.decided` - quota_request.decided
            * `organization.status_changed` - organization.status_changed
            * `webhook.test` - webhook.test
        version (str): The payload version, now 2026-12-01.
        event_id (str): The event's ID, the same for every endpoint that receives it.
        timestamp (datetime.datetime):
        organization (str): The organization's slug.
        subject (str): What the event is about, as `<kind>:<id>`, e.g. `reservation:42`.
        sequence (int): 1, 2, 3... per subject, in the order the changes happened.
        data (QuotaRequestData):
    """

    type_: QuotaRequestEventType
    version: str
    event_id: str
    timestamp: datetime.datetime
    organization: str
    subject: str
    sequence: int
    data: QuotaRequestData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        version = self.version

        event_id = self.event_id

        timestamp = self.timestamp.isoformat()

        organization = self.organization

        subject = self.subject

        sequence = self.sequence

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "version": version,
                "event_id": event_id,
                "timestamp": timestamp,
                "organization": organization,
                "subject": subject,
                "sequence": sequence,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.quota_request_data import QuotaRequestData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = QuotaRequestEventType(d.pop("type"))

        version = d.pop("version")

        event_id = d.pop("event_id")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        organization = d.pop("organization")

        subject = d.pop("subject")

        sequence = d.pop("sequence")

        data = QuotaRequestData.from_dict(d.pop("data"))

        quota_request_event = cls(
            type_=type_,
            version=version,
            event_id=event_id,
            timestamp=timestamp,
            organization=organization,
            subject=subject,
            sequence=sequence,
            data=data,
        )

        quota_request_event.additional_properties = d
        return quota_request_event

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
