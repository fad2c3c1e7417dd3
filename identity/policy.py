"""Whether a person may sign in with a password, under the sign-in policies of their organizations."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.utils.translation import gettext as _

from identity.selectors import policies_binding
from tenants.models import User


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def password_sign_in_refusal(user: User) -> str | None:
    """Why ``user`` may not sign in with a password, or None when they may.

    An organization that requires single sign-on refuses passwords of its members except its break-glass owner,
    who — like every member of an organization that requires a second factor — needs one (allauth then asks for it).
    """
    policies = policies_binding(user)
    for policy in policies:
        if policy.sso_required and policy.break_glass_owner_id != user.pk:
            return _("%(organization)s requires single sign-on: use “Sign in with your company”.") % {
                "organization": policy.organization.legal_name
            }
    needs_mfa = any(policy.mfa_required or policy.sso_required for policy in policies)
    if needs_mfa and not has_second_factor(user):
        return _(
            "Your organization requires a second factor, and this account has none: ask an owner to help you set up "
            "an authenticator app."
        )
    return None
