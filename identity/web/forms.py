"""Forms of enterprise identity's pages."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from identity.policy import password_sign_in_refusal
from tenants.models import User


class PolicyLoginForm(LoginForm):
    """allauth's login form, saying why a correct password is refused under the organization's policy (only to
    someone who knows the password; everyone else gets allauth's usual answer)."""

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("login") or "").strip().lower()
        password = str(self.data.get("password") or "")
        user = User.objects.filter(email=email).first() if email else None
        if user is not None and user.check_password(password):
            refusal = password_sign_in_refusal(user)
            if refusal:
                raise forms.ValidationError(refusal, code="sign_in_policy")
        cleaned: dict[str, Any] = super().clean()
        return cleaned


class CompanySignInForm(forms.Form):
    email = forms.EmailField(label=_("Work e-mail address"), max_length=254)
