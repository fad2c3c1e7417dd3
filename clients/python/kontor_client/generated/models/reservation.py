from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.reservation_kind_enum import ReservationKindEnum
from ..models.state_enum import StateEnum

if TYPE_CHECKING:
    from ..models.allocation import Allocation
    from ..models.instance import Instance
    from ..models.reservation_access import ReservationAccess


T = TypeVar("T", bound="Reservation")


@_attrs_define
class Reservation:
    """
    Attributes:
        id (int):
        kind (ReservationKindEnum): * `on_demand` - On demand
            * `reserved` - Reserved window
        state (StateEnum): * `requested` - Requested
            * `scheduled` - Scheduled
            * `provisioning` - Provisioning
            * `active` - Active
            * `ending` - Ending
            * `ended` - Ended
            * `cancelled` - Cancelled
            * `failed` - Failed
            * `expired` - Expired
        state_reason (str):
        quote (int):
        item (str):
        version (str):
        flavor (str):
        instance_count (int):
        gpus (int):
        zone (str):
        starts_at (datetime.datetime):
        ends_at (datetime.datetime | None):
        purchase_order_reference (str):
        created_at (datetime.datetime):
        allocations (list[Allocation]):
        instances (list[Instance]):
        access (None | ReservationAccess):
    """

    id: int
    kind: ReservationKindEnum
    state: StateEnum
    state_reason: str
    quote: int
    item: str
    version: str
    flavor: str
    instance_count: int
    gpus: int
    zone: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    purchase_order_reference: str
    created_at: datetime.datetime
    allocations: list[Allocation]
    instances: list[Instance]
    access: None | ReservationAccess
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.reservation_access import ReservationAccess  # noqa: PLC0415

        id = self.id

        kind = self.kind.value

        state = self.state.value

        state_reason = self.state_reason

        quote = self.quote

        item = self.item

        version = self.version

        flavor = self.flavor

        instance_count = self.instance_count

        gpus = self.gpus

        zone = self.zone

        starts_at = self.starts_at.isoformat()

        ends_at: None | str
        if isinstance(self.ends_at, datetime.datetime):
            ends_at = self.ends_at.isoformat()
        else:
            ends_at = self.ends_at

        purchase_order_reference = self.purchase_order_reference

        created_at = self.created_at.isoformat()

        allocations = []
        for allocations_item_data in self.allocations:
            allocations_item = allocations_item_data.to_dict()
            allocations.append(allocations_item)

        instances = []
        for instances_item_data in self.instances:
            instances_item = instances_item_data.to_dict()
            instances.append(instances_item)

        access: dict[str, Any] | None
        if isinstance(self.access, ReservationAccess):
            access = self.access.to_dict()
        else:
            access = self.access

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "state": state,
                "state_reason": state_reason,
                "quote": quote,
                "item": item,
                "version": version,
                "flavor": flavor,
                "instance_count": instance_count,
                "gpus": gpus,
                "zone": zone,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "purchase_order_reference": purchase_order_reference,
                "created_at": created_at,
                "allocations": allocations,
                "instances": instances,
                "access": access,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.allocation import Allocation  # noqa: PLC0415
        from ..models.instance import Instance  # noqa: PLC0415
        from ..models.reservation_access import ReservationAccess  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        kind = ReservationKindEnum(d.pop("kind"))

        state = StateEnum(d.pop("state"))

        state_reason = d.pop("state_reason")

        quote = d.pop("quote")

        item = d.pop("item")

        version = d.pop("version")

        flavor = d.pop("flavor")

        instance_count = d.pop("instance_count")

        gpus = d.pop("gpus")

        zone = d.pop("zone")

        starts_at = datetime.datetime.fromisoformat(d.pop("starts_at"))

        def _parse_ends_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ends_at_type_0 = datetime.datetime.fromisoformat(data)

                return ends_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        ends_at = _parse_ends_at(d.pop("ends_at"))

        purchase_order_reference = d.pop("purchase_order_reference")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        allocations = []
        _allocations = d.pop("allocations")
        for allocations_item_data in _allocations:
            allocations_item = Allocation.from_dict(allocations_item_data)

            allocations.append(allocations_item)

        instances = []
        _instances = d.pop("instances")
        for instances_item_data in _instances:
            instances_item = Instance.from_dict(instances_item_data)

            instances.append(instances_item)

        def _parse_access(data: object) -> None | ReservationAccess:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                access_type_0 = ReservationAccess.from_dict(data)

                return access_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReservationAccess, data)

        access = _parse_access(d.pop("access"))

        reservation = cls(
            id=id,
            kind=kind,
            state=state,
            state_reason=state_reason,
            quote=quote,
            item=item,
            version=version,
            flavor=flavor,
            instance_count=instance_count,
            gpus=gpus,
            zone=zone,
            starts_at=starts_at,
            ends_at=ends_at,
            purchase_order_reference=purchase_order_reference,
            created_at=created_at,
            allocations=allocations,
            instances=instances,
            access=access,
        )

        reservation.additional_properties = d
        return reservation

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
