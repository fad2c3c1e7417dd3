"""Portal pages for onboarding and teams, one module per page group; urls.py names them through this package."""

from tenants.web.views.api_keys import api_key_revoke, api_keys
from tenants.web.views.invitations import invitation, invitation_accept, invitation_decline, invitation_register
from tenants.web.views.legal import legal_consents, legal_consents_accept
from tenants.web.views.signup import legal_document, signup_account, signup_company, signup_done
from tenants.web.views.switcher import organization_switch
from tenants.web.views.team import invitation_revoke, member_remove, member_role, members, members_invite, members_leave

__all__ = [
    "api_key_revoke",
    "api_keys",
    "invitation",
    "invitation_accept",
    "invitation_decline",
    "invitation_register",
    "invitation_revoke",
    "legal_consents",
    "legal_consents_accept",
    "legal_document",
    "member_remove",
    "member_role",
    "members",
    "members_invite",
    "members_leave",
    "organization_switch",
    "signup_account",
    "signup_company",
    "signup_done",
]
