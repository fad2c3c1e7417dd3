from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.event_types import EVENT_TYPES


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2048,
        help_text=_("An https:// address of your system that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(event_type, event_type) for event_type in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description (optional)"), max_length=200, required=False)
