"""Forms of the cloud access page: shapes only; the services decide and their refusals are shown on the page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SshKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, strip=False)
    public_key = forms.CharField(
        label=_("Public key"),
        max_length=20_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "The contents of your .pub file: ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa (≥ 3072 bits)."
        ),
    )
    shared = forms.BooleanField(label=_("Share with the whole organization"), required=False)


class NgcApiKeyForm(forms.Form):
    ngc_api_key = forms.CharField(
        label=_("NGC API key"),
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("From ngc.nvidia.com, Setup, API Keys. Stored encrypted; never shown again."),
    )


class AllowedCidrForm(forms.Form):
    cidr = forms.CharField(label=_("Network"), max_length=100, help_text=_("An IPv4 network, such as 85.214.0.0/16."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    confirm_broad = forms.BooleanField(label=_("Yes, allow this broad network"), required=False)


class InstanceRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, strip=False)


class ConsoleLogForm(forms.Form):
    lines = forms.IntegerField(label=_("Lines"), min_value=1, max_value=1000, initial=100)
