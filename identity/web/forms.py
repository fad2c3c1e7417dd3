"""Forms of enterprise identity's pages."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm
from allauth.core import ratelimit
from django import forms
from django.utils.translation import gettext_lazy as _

from identity.policy import password_sign_in_refusal
from tenants.choices import Role
from tenants.models import User


class PolicyLoginForm(LoginForm):
    """allauth's login form, saying why a correct password is refused under the organization's policy (only to
    someone who knows the password; everyone else gets allauth's usual answer).

    The password is checked here only while the failed-login limit still admits an attempt from this address for
    this account (a dry run of allauth's own counter): past the limit, a guess would otherwise still learn, from the
    policy message, whether it was right, and still cost a password hash.
    """

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("login") or "").strip().lower()
        password = str(self.data.get("password") or "")
        user = User.objects.filter(email=email).first() if email else None
        if user is not None and self._login_attempt_admitted(email) and user.check_password(password):
            refusal = password_sign_in_refusal(user)
            if refusal:
                raise forms.ValidationError(refusal, code="sign_in_policy")
        cleaned: dict[str, Any] = super().clean()
        return cleaned

    def _login_attempt_admitted(self, email: str) -> bool:
        if self.request is None:
            return True
        key = get_adapter(self.request)._get_login_attempts_cache_key(self.request, email=email)
        return ratelimit.consume(self.request, action="login_failed", key=key, dry_run=True)


class CompanySignInForm(forms.Form):
    email = forms.EmailField(label=_("Work e-mail address"), max_length=254)


class EmailDomainForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253, help_text=_("e.g. example.de"))


class IdentityProviderForm(forms.Form):
    issuer = forms.CharField(label=_("Issuer URL"), max_length=500, help_text=_("HTTPS, e.g. https://login.example.de"))
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored secret."),
    )
    scopes = forms.CharField(label=_("Scopes"), max_length=255, initial="openid email profile")
    groups_claim = forms.CharField(label=_("Claim that holds the groups"), max_length=100, initial="groups")
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class SamlProviderForm(forms.Form):
    """A SAML 2.0 identity provider: its metadata (a URL or pasted XML), or entity ID, sign-on URL and certificate."""

    metadata_url = forms.CharField(
        label=_("IdP metadata URL"),
        max_length=500,
        required=False,
        help_text=_("HTTPS; Kontor reads the entity ID, sign-on URL and certificate from it."),
    )
    metadata_xml = forms.CharField(
        label=_("IdP metadata (XML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Instead of a URL: paste the metadata document."),
    )
    entity_id = forms.CharField(label=_("IdP entity ID"), max_length=500, required=False)
    sso_url = forms.CharField(label=_("IdP single sign-on URL"), max_length=500, required=False)
    certificate = forms.CharField(
        label=_("IdP signing certificate (PEM)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    groups_attribute = forms.CharField(label=_("Attribute that holds the groups"), max_length=100, initial="groups")
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class GroupRoleMappingForm(forms.Form):
    group = forms.CharField(label=_("Group"), max_length=255)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SignInPolicyForm(forms.Form):
    sso_required = forms.BooleanField(label=_("Require single sign-on"), required=False)
    mfa_required = forms.BooleanField(label=_("Require a second factor for password sign-in"), required=False)
    break_glass_owner = forms.ModelChoiceField(
        label=_("Break-glass owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("The one owner who may still sign in with a password (and a second factor)."),
    )

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["break_glass_owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owners
