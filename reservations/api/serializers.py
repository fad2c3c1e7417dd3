from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api import fields as api_fields
from reservations.models import Allocation, Reservation
from reservations.orders import PURCHASE_ORDER_REFERENCE_MAX_LENGTH


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    node = serializers.CharField(source="node.hostname")
    gpus = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = ["instance_index", "node", "gpus", "starts_at", "ends_at"]
        read_only_fields = fields

    def get_gpus(self, allocation: Allocation) -> list[int]:
        return list(range(allocation.gpu_first, allocation.gpu_first + allocation.gpu_count))


class InstanceTransitionSerializer(serializers.Serializer[Any]):
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    at = api_fields.DateTimeField(source="occurred_at")


class InstanceSerializer(serializers.Serializer[Any]):
    """A server of the reservation, with how to reach it once it runs."""

    index = serializers.IntegerField()
    name = serializers.CharField(help_text="`<reservation>-<n>` unless renamed (PATCH the instance).")
    state = serializers.CharField()
    history = InstanceTransitionSerializer(
        source="transitions.all", many=True, read_only=True, help_text="Every state change, oldest first."
    )
    address = serializers.CharField()
    ssh_user = serializers.CharField()
    service_url = serializers.CharField()
    public_address = serializers.SerializerMethodField(help_text="The floating IP, when the order asked for one.")
    ssh_command = serializers.SerializerMethodField(help_text="How to log in, once the server runs.")
    ssh_key_fingerprints = serializers.SerializerMethodField(help_text="SHA256 fingerprints of the keys it got.")
    started_at = api_fields.DateTimeField(allow_null=True)
    stopped_at = api_fields.DateTimeField(allow_null=True)

    @staticmethod
    def _network(instance: Any) -> Any:
        try:
            return instance.network
        except ObjectDoesNotExist:
            return None

    def get_public_address(self, instance: Any) -> str:
        network = self._network(instance)
        return network.public_address if network is not None else ""

    def get_ssh_command(self, instance: Any) -> str:
        address = self.get_public_address(instance) or instance.address
        return f"ssh {instance.ssh_user}@{address}" if address and instance.state == "running" else ""

    def get_ssh_key_fingerprints(self, instance: Any) -> list[str]:
        network = self._network(instance)
        return list(network.ssh_fingerprints) if network is not None else []


class ReservationAccessSerializer(serializers.Serializer[Any]):
    """What the order chose: a public address or not, and the SSH keys (a snapshot) its servers get."""

    public_address = serializers.BooleanField()
    ssh_keys = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    secured_endpoint = serializers.BooleanField(help_text="TLS proxy with a bearer token in front of the service.")
    tls_fingerprint = serializers.CharField(help_text="SHA-256 of the endpoint's self-signed certificate.")


class ReservationSerializer(serializers.ModelSerializer[Reservation]):
    item = serializers.CharField(source="item_version.item.slug")
    version = serializers.CharField(source="item_version.tag")
    flavor = serializers.CharField(source="flavor.slug")
    zone = serializers.CharField(source="zone.slug")
    gpus = serializers.IntegerField(source="gpu_count")
    allocations = AllocationSerializer(source="live_allocations", many=True, read_only=True)
    instances = InstanceSerializer(many=True, read_only=True)
    access = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = [
            "id",
            "kind",
            "state",
            "state_reason",
            "quote",
            "item",
            "version",
            "flavor",
            "instance_count",
            "gpus",
            "zone",
            "starts_at",
            "ends_at",
            "purchase_order_reference",
            "created_at",
            "allocations",
            "instances",
            "access",
        ]
        read_only_fields = fields

    @extend_schema_field(ReservationAccessSerializer(allow_null=True))
    def get_access(self, reservation: Reservation) -> dict[str, Any] | None:
        try:
            access = reservation.access  # provisioning's reverse one-to-one
        except ObjectDoesNotExist:
            return None
        return {
            "public_address": access.public_address,
            "ssh_keys": [{"name": key["name"], "fingerprint": key["fingerprint"]} for key in access.ssh_keys],
            "secured_endpoint": access.has_secured_endpoint,
            "tls_fingerprint": access.tls_fingerprint,
        }


def reservation_list_representation(rows: list[dict[str, Any]], related: dict[str, Any]) -> list[dict[str, Any]]:
    """The list page's answer from plain rows (``reservations.api.selectors.reservation_rows_for_api`` and
    ``reservation_rows_related``): exactly what ``ReservationSerializer`` answers for the same reservations (a test
    compares the two), built without a model instance or a DRF field per value. ``ReservationSerializer`` stays the
    schema and the single reservation's answer; a field added there is added here."""
    # DRF's rendering in the current time zone, as the serializer's fields; the zone looked up once per page.
    moment = serializers.DateTimeField(default_timezone=timezone.get_current_timezone() if settings.USE_TZ else None)

    def at(value: Any) -> Any:
        return None if value is None else moment.to_representation(value)

    def text(value: Any) -> Any:
        return None if value is None else str(value)

    def transition(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "from_state": text(row["from_state"]),
            "to_state": text(row["to_state"]),
            "reason": text(row["reason"]),
            "at": at(row["occurred_at"]),
        }

    def instance(row: dict[str, Any]) -> dict[str, Any]:
        networked = row["network__id"] is not None
        public_address = row["network__public_address"] if networked else ""
        address = public_address or row["address"]
        return {
            "index": row["index"],
            "name": text(row["name"]),
            "state": text(row["state"]),
            "history": [transition(change) for change in related["transitions"].get(row["id"], ())],
            "address": text(row["address"]),
            "ssh_user": text(row["ssh_user"]),
            "service_url": text(row["service_url"]),
            "public_address": public_address,
            "ssh_command": f"ssh {row['ssh_user']}@{address}" if address and row["state"] == "running" else "",
            "ssh_key_fingerprints": list(row["network__ssh_fingerprints"]) if networked else [],
            "started_at": at(row["started_at"]),
            "stopped_at": at(row["stopped_at"]),
        }

    def allocation(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "instance_index": row["instance_index"],
            "node": text(row["node__hostname"]),
            "gpus": list(range(row["gpu_first"], row["gpu_first"] + row["gpu_count"])),
            "starts_at": at(row["starts_at"]),
            "ends_at": at(row["ends_at"]),
        }

    def access(row: dict[str, Any]) -> dict[str, Any] | None:
        if row["access__id"] is None:
            return None
        return {
            "public_address": row["access__public_address"],
            "ssh_keys": [{"name": key["name"], "fingerprint": key["fingerprint"]} for key in row["access__ssh_keys"]],
            "secured_endpoint": bool(row["access__service_token_encrypted"]),
            "tls_fingerprint": row["access__tls_fingerprint"],
        }

    return [
        {
            "id": row["id"],
            "kind": text(row["kind"]),
            "state": text(row["state"]),
            "state_reason": text(row["state_reason"]),
            "quote": row["quote_id"],
            "item": text(row["item_version__item__slug"]),
            "version": text(row["item_version__tag"]),
            "flavor": text(row["flavor__slug"]),
            "instance_count": row["instance_count"],
            "gpus": row["instance_count"] * row["flavor__gpu_count"],
            "zone": text(row["zone__slug"]),
            "starts_at": at(row["starts_at"]),
            "ends_at": at(row["ends_at"]),
            "purchase_order_reference": text(row["purchase_order_reference"]),
            "created_at": at(row["created_at"]),
            "allocations": [allocation(each) for each in related["allocations"].get(row["id"], ())],
            "instances": [instance(each) for each in related["instances"].get(row["id"], ())],
            "access": access(row),
        }
        for row in rows
    ]


class CostSerializer(serializers.Serializer[Any]):
    """The cost so far, net in EUR: ``metered`` is what metering has recorded, ``so_far`` an estimate that adds the
    time since (the current partial hour); ``committed`` a reserved window's total, null on demand."""

    at = serializers.DateTimeField()
    metered = serializers.DecimalField(max_digits=14, decimal_places=2)
    so_far = serializers.DecimalField(max_digits=14, decimal_places=2)
    committed = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    estimate = serializers.SerializerMethodField(help_text="Always true: so_far is an estimate until invoiced.")

    def get_estimate(self, cost: Any) -> bool:
        return True


class ReservationCreateSerializer(serializers.Serializer[Any]):
    quote = serializers.IntegerField(help_text="An open quote of this organization: the reservation keeps its price.")
    zone = serializers.SlugField(required=False, allow_null=True, help_text="An availability zone; omit for any.")
    ssh_keys = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        max_length=20,
        help_text="IDs of SSH keys for the servers; omit for yours and the organization's shared ones, [] for none.",
    )
    public_address = serializers.BooleanField(
        default=False, help_text="A floating IP per server, reachable only from the organization's allowed networks."
    )
    purchase_order_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,  # checked (and trimmed) by the booking service, in the one error shape
        help_text=(
            "Your purchase-order number for this order, printed on the invoices that bill it (BT-13, or per line); "
            f"at most {PURCHASE_ORDER_REFERENCE_MAX_LENGTH} printable characters."
        ),
    )


class ExtendSerializer(serializers.Serializer[Any]):
    ends_at = api_fields.DateTimeField()


class AvailabilityQuerySerializer(serializers.Serializer[Any]):
    flavor = serializers.SlugField()
    instance_count = serializers.IntegerField(min_value=1, max_value=64)
    kind = serializers.ChoiceField(choices=["on_demand", "reserved"], default="reserved")
    starts_at = api_fields.DateTimeField()
    ends_at = api_fields.DateTimeField(required=False, allow_null=True)
    zone = serializers.SlugField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == "reserved" and not attrs.get("ends_at"):
            raise serializers.ValidationError({"ends_at": ["A reserved window needs an end."]})
        if attrs.get("ends_at") and attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": ["The window must end after it starts."]})
        return attrs


class AlternativeSerializer(serializers.Serializer[Any]):
    zone = serializers.CharField()
    flavor = serializers.CharField()
    instance_count = serializers.IntegerField()
    starts_at = api_fields.DateTimeField()


class AvailabilitySerializer(serializers.Serializer[Any]):
    fits = serializers.BooleanField()
    zone = serializers.CharField(allow_null=True)
    earliest_start = api_fields.DateTimeField(allow_null=True)
    alternatives = AlternativeSerializer(many=True)


class CalendarQuerySerializer(serializers.Serializer[Any]):
    zone = serializers.SlugField()
    gpu_model = serializers.SlugField()
    starts_at = api_fields.DateTimeField()
    ends_at = api_fields.DateTimeField()
    step = serializers.ChoiceField(choices=["hour", "day"], default="day")
    kind = serializers.ChoiceField(choices=["on_demand", "reserved"], default="reserved")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        span = attrs["ends_at"] - attrs["starts_at"]
        if span.total_seconds() <= 0:
            raise serializers.ValidationError({"ends_at": ["The range must end after it starts."]})
        steps = span.total_seconds() / (3600 if attrs["step"] == "hour" else 86400)
        if steps > 24 * 62:
            raise serializers.ValidationError({"ends_at": ["At most 1,488 steps per request."]})
        return attrs


class CalendarRowSerializer(serializers.Serializer[Any]):
    starts_at = api_fields.DateTimeField()
    total_gpus = serializers.IntegerField()
    free_gpus = serializers.IntegerField()


class QuotaRequestCreateSerializer(serializers.Serializer[Any]):
    gpu_model = serializers.SlugField()
    requested_gpus = serializers.IntegerField(min_value=1, max_value=10000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
