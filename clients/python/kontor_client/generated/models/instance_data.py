from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.instance_transition import InstanceTransition


T = TypeVar("T", bound="InstanceData")


@_attrs_define
class InstanceData:
    """A server of the reservation, with how to reach it once it runs.

    Attributes:
        index (int):
        name (str): `<reservation>-<n>` unless renamed (PATCH the instance).
        state (str):
        history (list[InstanceTransition]): Every state change, oldest first.
        address (str):
        ssh_user (str):
        service_url (str):
        public_address (str): The floating IP, when the order asked for one.
        ssh_command (str): How to log in, once the server runs.
        ssh_key_fingerprints (list[str]): SHA256 fingerprints of the keys it got.
        started_at (datetime.datetime | None):
        stopped_at (datetime.datetime | None):
        id (int):
        reservation (int):
    """

    index: int
    name: str
    state: str
    history: list[InstanceTransition]
    address: str
    ssh_user: str
    service_url: str
    public_address: str
    ssh_command: str
    ssh_key_fingerprints: list[str]
    started_at: datetime.datetime | None
    stopped_at: datetime.datetime | None
    id: int
    reservation: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        name = self.name

        state = self.state

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        address = self.address

        ssh_user = self.ssh_user

        service_url = self.service_url

        public_address = self.public_address

        ssh_command = self.ssh_command

        ssh_key_fingerprints = self.ssh_key_fingerprints

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        stopped_at: None | str
        if isinstance(self.stopped_at, datetime.datetime):
            stopped_at = self.stopped_at.isoformat()
        else:
            stopped_at = self.stopped_at

        id = self.id

        reservation = self.reservation

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "index": index,
                "name": name,
                "state": state,
                "history": history,
                "address": address,
                "ssh_user": ssh_user,
                "service_url": service_url,
                "public_address": public_address,
                "ssh_command": ssh_command,
                "ssh_key_fingerprints": ssh_key_fingerprints,
                "started_at": started_at,
                "stopped_at": stopped_at,
                "id": id,
                "reservation": reservation,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.instance_transition import InstanceTransition  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        name = d.pop("name")

        state = d.pop("state")

        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = InstanceTransition.from_dict(history_item_data)

            history.append(history_item)

        address = d.pop("address")

        ssh_user = d.pop("ssh_user")

        service_url = d.pop("service_url")

        public_address = d.pop("public_address")

        ssh_command = d.pop("ssh_command")

        ssh_key_fingerprints = cast(list[str], d.pop("ssh_key_fingerprints"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        def _parse_stopped_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                stopped_at_type_0 = datetime.datetime.fromisoformat(data)

                return stopped_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        stopped_at = _parse_stopped_at(d.pop("stopped_at"))

        id = d.pop("id")

        reservation = d.pop("reservation")

        instance_data = cls(
            index=index,
            name=name,
            state=state,
            history=history,
            address=address,
            ssh_user=ssh_user,
            service_url=service_url,
            public_address=public_address,
            ssh_command=ssh_command,
            ssh_key_fingerprints=ssh_key_fingerprints,
            started_at=started_at,
            stopped_at=stopped_at,
            id=id,
            reservation=reservation,
        )

        instance_data.additional_properties = d
        return instance_data

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
