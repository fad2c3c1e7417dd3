"""Forms of the onboarding and team pages. They check the shape of the input; the services decide everything else,
and their refusals are shown on the form next to the field they name (``add_service_errors``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tenants.choices import Role
from tenants.models import LegalDocument
from tenants.permissions import Scope
from tenants.services import SignupData, signup_validate
from tenants.vat_ids import EXAMPLE_VAT_ID
from tenants.web.countries import country_choices

# The sign-up's two steps, by the names of ``SignupData``'s fields (the forms use the same names).
COMPANY_FIELDS = ("legal_name", "country", "street", "postal_code", "city", "vat_id", "billing_email")
ACCOUNT_FIELDS = ("full_name", "email", "password", "language", "accept_terms")

# API keys stop working at the end of the chosen day in the company's time.
KEY_EXPIRY_ZONE = ZoneInfo("Europe/Berlin")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on a bound form: each message next to the field it names, the rest above the
    form, never the same message twice on one field."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for field, messages in by_field.items():
        target = field if field in form.fields else None
        for message in messages:
            if message not in form.errors.get(target or NON_FIELD_ERRORS, []):
                form.add_error(target, message)


def signup_errors(data: SignupData) -> dict[str, list[str]]:
    """What ``signup_validate`` has to say about ``data``, by SignupData field; empty when it is all right."""
    try:
        signup_validate(data)
    except ValidationError as exc:
        return dict(exc.message_dict)
    return {}


def build_signup_data(company: Mapping[str, Any], account: Mapping[str, Any] | None = None) -> SignupData:
    """A SignupData from step 1's values and, when there, step 2's; what is missing is empty."""
    account = account or {}
    return SignupData(
        legal_name=str(company.get("legal_name", "")),
        country=str(company.get("country", "")),
        street=str(company.get("street", "")),
        postal_code=str(company.get("postal_code", "")),
        city=str(company.get("city", "")),
        vat_id=str(company.get("vat_id", "")),
        billing_email=str(company.get("billing_email", "")),
        full_name=str(account.get("full_name", "")),
        email=str(account.get("email", "")),
        password=str(account.get("password", "")),
        language=str(account.get("language", "en")),
        accept_terms=bool(account.get("accept_terms", False)),
    )


def _password_input() -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": "new-password"})


class SignupCompanyForm(forms.Form):
    """Step 1: the company. Checked with the sign-up service's own rules for these fields."""

    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=200,
        help_text=_("As in the commercial register, with its legal form, e.g. Rheinwerk Robotics GmbH."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    # Any value is accepted here so that the service can say why a country is not served.
    country = forms.CharField(label=_("Country"), max_length=2, widget=forms.Select)
    street = forms.CharField(
        label=_("Street and number"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=16, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        label=_("City"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    vat_id = forms.CharField(
        label=_("VAT ID"),
        max_length=32,
        help_text=format_lazy(_("With or without the country prefix, e.g. {example}."), example=EXAMPLE_VAT_ID),
        widget=forms.TextInput(attrs={"placeholder": EXAMPLE_VAT_ID, "autocomplete": "off", "spellcheck": "false"}),
    )
    billing_email = forms.EmailField(
        label=_("Billing e-mail"), help_text=_("Invoices and payment reminders go to this address.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"].widget
        country.choices = country_choices()
        country.attrs.pop("maxlength", None)  # not an attribute of <select>

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = signup_errors(build_signup_data(cleaned))
        for field in COMPANY_FIELDS:
            if field in errors and field not in self.errors:
                self.add_error(field, errors[field])
        return cleaned


class SignupAccountForm(forms.Form):
    """Step 2: the person who signs up and becomes the owner, and the acceptance of the legal documents.

    ``company`` is step 1's data. Refusals concerning it are kept in ``company_errors`` for the view, which sends
    the user back to step 1 with them.
    """

    full_name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("You sign in with it. We send a link to confirm it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(label=_("Password"), strip=False, widget=_password_input())
    password_confirm = forms.CharField(label=_("Password (again)"), strip=False, widget=_password_input())
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, help_text=_("For our e-mails to you.")
    )
    # Not required by the form: the service says what accepting means when it is missing.
    accept_terms = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"required": True}))

    def __init__(self, *args: Any, company: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validators_help_text_html()
        self.company = company
        self.company_errors: dict[str, list[str]] = {}

    def signup_data(self) -> SignupData:
        return build_signup_data(self.company, getattr(self, "cleaned_data", {}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            "password" in cleaned
            and "password_confirm" in cleaned
            and cleaned["password"] != cleaned["password_confirm"]
        ):
            self.add_error("password_confirm", _("The two passwords differ."))
        errors = signup_errors(self.signup_data())
        for field in ACCOUNT_FIELDS:
            if field in errors and field not in self.errors:
                self.add_error(field, errors[field])
        self.company_errors = {field: errors[field] for field in COMPANY_FIELDS if field in errors}
        if self.company_errors:
            raise ValidationError(_("Some company details need correcting."), code="company")
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, may_manage_owners: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_manage_owners:
            # Offer only what the service allows; any role is still accepted so the service can say why not.
            self.fields["role"].widget.choices = [
                (value, label) for value, label in Role.choices if value != Role.OWNER
            ]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationSignupForm(forms.Form):
    """An invited person without an account creates it; the e-mail address is the invitation's."""

    full_name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(label=_("Password"), strip=False, widget=_password_input())
    password_confirm = forms.CharField(label=_("Password (again)"), strip=False, widget=_password_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            "password" in cleaned
            and "password_confirm" in cleaned
            and cleaned["password"] != cleaned["password_confirm"]
        ):
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned


SCOPE_LABELS: dict[Scope, Any] = {
    Scope.ORGANIZATION_READ: _("Read the organization"),
    Scope.MEMBERS_READ: _("Read the members"),
    Scope.MEMBERS_MANAGE: _("Manage the members and invitations"),
    Scope.AUDIT_READ: _("Read the audit log"),
    Scope.CATALOG_READ: _("Read the catalog and get quotes"),
    Scope.RESERVATIONS_READ: _("Read reservations"),
    Scope.RESERVATIONS_WRITE: _("Make and change reservations"),
    Scope.BILLING_READ: _("Read invoices and spend"),
    Scope.BILLING_WRITE: _("Manage billing"),
    Scope.WEBHOOKS_READ: _("Read webhook endpoints and their deliveries"),
    Scope.WEBHOOKS_WRITE: _("Manage webhook endpoints"),
    Scope.CLOUD_READ: _("Read SSH keys, allowed networks and the cloud profile"),
    Scope.CLOUD_WRITE: _("Manage SSH keys, allowed networks and the NGC API key"),
    Scope.IDENTITY_READ: _("Read single sign-on, domains and SCIM settings (owners' keys only)"),
    Scope.IDENTITY_WRITE: _("Manage single sign-on, domains, the sign-in policy and SCIM tokens (owners' keys only)"),
}


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the key is for, e.g. ERP sync. Shown in the audit log.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(scope.value, SCOPE_LABELS[scope]) for scope in Scope],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    expires_at = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        help_text=_("The key stops working at the end of this day (German time). Leave empty for no expiry."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def expiry(self) -> datetime | None:
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=KEY_EXPIRY_ZONE)


class LegalAcceptForm(forms.Form):
    """Accept exactly the documents shown on the page (not a version that came into force meanwhile)."""

    documents = forms.ModelMultipleChoiceField(queryset=LegalDocument.objects.all(), widget=forms.MultipleHiddenInput)
    confirm = forms.BooleanField(label=_("I have read these documents and accept them for the organization."))


class OrganizationSwitchForm(forms.Form):
    organization = forms.SlugField(label=_("Organization"), max_length=60)
