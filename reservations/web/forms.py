"""Forms of the reservation pages. They check the shape of the input; the services decide everything else, and their
refusals are shown on the page (``tenants.web.forms.add_service_errors``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import AvailabilityZone, GpuModel
from core.datetimes import validate_datetime_range


def _choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class BookForm(forms.Form):
    """Book one open quote, in one zone or any. ``idempotency_key`` is made when the page renders, so sending the
    same form twice (a double click, a retried request) books once."""

    quote = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    zone = forms.ChoiceField(label=_("Zone"), required=False)
    ssh_keys = forms.TypedMultipleChoiceField(
        label=_("SSH keys for the servers"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    public_address = forms.BooleanField(
        label=_("Public address (reachable only from the allowed networks)"), required=False
    )
    purchase_order_reference = forms.CharField(
        label=_("Your purchase order number (optional, printed on the invoice)"), required=False, strip=False
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        zones: Sequence[AvailabilityZone],
        ssh_keys: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "zone", [("", _("Any zone")), *((zone.slug, zone.display_name) for zone in zones)])
        _choices(self, "ssh_keys", [(str(key_id), label) for key_id, label in ssh_keys])

    @classmethod
    def for_quote(
        cls,
        quote_id: int,
        *,
        zones: Sequence[AvailabilityZone],
        zone: str = "",
        auto_id: str | bool = "",
        ssh_keys: Sequence[tuple[int, str]] = (),
    ) -> BookForm:
        """A fresh form for one quote, with a new key; ids carry the quote's number (many forms share a page). Every
        usable SSH key is ticked: the orderer's own and the organization's shared ones."""
        return cls(
            zones=zones,
            ssh_keys=ssh_keys,
            initial={
                "quote": quote_id,
                "zone": zone,
                "idempotency_key": uuid.uuid4(),
                "ssh_keys": [key_id for key_id, _label in ssh_keys],
            },
            auto_id=auto_id if auto_id != "" else f"id_quote{quote_id}_%s",
        )


class ConfirmForm(forms.Form):
    """The second step of a destructive action: without ``confirm`` the page asks first."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ExtendForm(forms.Form):
    ends_at = forms.DateTimeField(
        label=_("New end"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_datetime_range],
        help_text=_("Local time in Germany."),
    )


class Period:
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    CHOICES = (
        (WEEK, _("Next 7 days, by hour")),
        (MONTH, _("Next 30 days, by day")),
        (QUARTER, _("Next 90 days, by day")),
    )
    DAYS = {WEEK: 7, MONTH: 30, QUARTER: 90}


@dataclass(frozen=True)
class CalendarWindow:
    """What to ask ``capacity_calendar`` for. Days are folded from hours (``by_day``) so that a day is a day in
    Germany, also across a change to or from summer time."""

    starts_at: datetime
    ends_at: datetime
    by_day: bool


class CapacityForm(forms.Form):
    zone = forms.ChoiceField(label=_("Zone"))
    gpu_model = forms.ChoiceField(label=_("GPU model"))
    period = forms.ChoiceField(label=_("Range"), choices=Period.CHOICES)

    def __init__(
        self, *args: Any, zones: Sequence[AvailabilityZone], gpu_models: Sequence[GpuModel], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "zone", [(zone.slug, zone.display_name) for zone in zones])
        _choices(self, "gpu_model", [(gpu.slug, gpu.name) for gpu in gpu_models])

    def window(self, now: datetime | None = None) -> CalendarWindow:
        """From the current hour: a week of hours, or whole days in Germany up to the end of the 30th or 90th day
        (today counts as the first). In UTC, so that every step is an hour of real time."""
        period = self.cleaned_data["period"]
        starts_at = (now or timezone.now()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        if period == Period.WEEK:
            return CalendarWindow(starts_at, starts_at + timedelta(days=7), by_day=False)
        after_last_day = timezone.localtime(starts_at).date() + timedelta(days=Period.DAYS[period])
        midnight = datetime.combine(after_last_day, time.min, tzinfo=timezone.get_current_timezone())
        return CalendarWindow(starts_at, midnight.astimezone(UTC), by_day=True)


class QuotaRequestForm(forms.Form):
    gpu_model = forms.ChoiceField(label=_("GPU model"))
    requested_gpus = forms.IntegerField(
        label=_("GPUs at a time"),
        min_value=1,
        max_value=10000,
        help_text=_("The most GPUs of this model your organization would hold at the same time."),
    )
    reason = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you plan to run helps us decide quickly."),
    )

    def __init__(self, *args: Any, gpu_models: Sequence[GpuModel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "gpu_model", [(gpu.slug, gpu.name) for gpu in gpu_models])
