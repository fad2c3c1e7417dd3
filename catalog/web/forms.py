"""Forms of the catalog pages: the catalog filters and the quote request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import MAX_INSTANCES_PER_ORDER, Commitment, License, UseCase
from catalog.models import CatalogItemVersion, Flavor, GpuModel
from core.datetimes import validate_datetime_range
from tenants.models import Organization


def _choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("NeMo, Triton, Isaac Sim…")}),
    )
    use_case = forms.ChoiceField(label=_("Use case"), required=False)
    license = forms.ChoiceField(label=_("License"), required=False)
    gpu_model = forms.ChoiceField(label=_("GPU model"), required=False)

    def __init__(self, *args: Any, gpu_models: Sequence[GpuModel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "use_case", [("", _("All use cases")), *UseCase.choices])
        _choices(self, "license", [("", _("Any license")), *License.choices])
        _choices(self, "gpu_model", [("", _("Any GPU")), *((gpu.slug, gpu.name) for gpu in gpu_models)])

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid value (a stale link) counts as no filter."""
        self.is_valid()
        data = self.cleaned_data  # only the fields that validated
        return {
            "search": (data.get("q") or "").strip(),
            "use_case": data.get("use_case") or "",
            "license": data.get("license") or "",
            "gpu_model": data.get("gpu_model") or "",
        }


class DurationUnit:
    HOURS = "hours"
    DAYS = "days"
    CHOICES = ((HOURS, _("hours")), (DAYS, _("days")))


def next_full_hour(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class QuoteForm(forms.Form):
    """What to quote. Only the item's versions, compatible flavors and the user's organizations are offered."""

    organization = forms.ChoiceField(label=_("For organization"))
    version = forms.ChoiceField(label=_("Version"))
    flavor = forms.ChoiceField(label=_("Flavor"))
    instance_count = forms.IntegerField(label=_("Instances"), min_value=1, max_value=MAX_INSTANCES_PER_ORDER, initial=1)
    commitment = forms.ChoiceField(label=_("Commitment"), choices=Commitment.choices, initial=Commitment.ON_DEMAND)
    starts_at = forms.DateTimeField(
        label=_("Start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_datetime_range],
        help_text=_("Local time in Germany."),
    )
    duration = forms.IntegerField(label=_("Length"), min_value=1, initial=24)
    duration_unit = forms.ChoiceField(label=_("Unit"), choices=DurationUnit.CHOICES, initial=DurationUnit.HOURS)

    def __init__(
        self,
        *args: Any,
        organizations: Sequence[Organization],
        versions: Sequence[CatalogItemVersion],
        flavors: Sequence[Flavor],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organization", [(org.slug, org.legal_name) for org in organizations])
        _choices(self, "version", [(version.tag, version.tag) for version in versions])
        _choices(self, "flavor", [(flavor.slug, flavor.name) for flavor in flavors])
        if not self.is_bound:
            self.initial.setdefault("starts_at", next_full_hour())
            if versions:
                self.initial.setdefault("version", versions[0].tag)

    def window(self) -> tuple[datetime, datetime]:
        starts_at: datetime = self.cleaned_data["starts_at"]
        amount: int = self.cleaned_data["duration"]
        hours = amount * 24 if self.cleaned_data["duration_unit"] == DurationUnit.DAYS else amount
        return starts_at, starts_at + timedelta(hours=hours)

    # Where the quote service's field errors show on this form.
    SERVICE_FIELDS = {
        "version": "version",
        "flavor": "flavor",
        "instance_count": "instance_count",
        "commitment": "commitment",
        "starts_at": "starts_at",
        "ends_at": "duration",
    }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(self.SERVICE_FIELDS.get(field), message)
