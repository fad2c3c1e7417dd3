"""Every write of the tenancy core. Each service is atomic and writes its audit event in the same transaction."""

from tenants.services.api_keys import api_key_create, api_key_revoke
from tenants.services.gdpr import organization_export, user_erase
from tenants.services.legal import consent_accept, consents_missing, consents_statement, legal_documents_in_force
from tenants.services.members import (
    InvitationError,
    invitation_accept,
    invitation_accept_as_new_user,
    invitation_create,
    invitation_decline,
    invitation_from_token,
    invitation_revoke,
    invitation_token,
    membership_remove,
    membership_role_change,
)
from tenants.services.organizations import (
    ORGANIZATION_TRANSITIONS,
    InvalidTransitionError,
    organization_apply_auto_approval,
    organization_approve,
    organization_close,
    organization_create,
    organization_details_set,
    organization_email_verified,
    organization_reactivate,
    organization_reject,
    organization_suspend,
    organization_transition,
    vat_check_retry,
)
from tenants.services.signup import SignupData, signup_register, signup_validate, vat_check_run
from tenants.services.ssh_keys import ssh_key_add, ssh_key_remove

__all__ = [
    "ORGANIZATION_TRANSITIONS",
    "InvalidTransitionError",
    "InvitationError",
    "SignupData",
    "api_key_create",
    "api_key_revoke",
    "consent_accept",
    "consents_missing",
    "consents_statement",
    "invitation_accept",
    "invitation_accept_as_new_user",
    "invitation_create",
    "invitation_decline",
    "invitation_from_token",
    "invitation_revoke",
    "invitation_token",
    "legal_documents_in_force",
    "membership_remove",
    "membership_role_change",
    "organization_apply_auto_approval",
    "organization_approve",
    "organization_close",
    "organization_create",
    "organization_details_set",
    "organization_email_verified",
    "organization_export",
    "organization_reactivate",
    "organization_reject",
    "organization_suspend",
    "organization_transition",
    "signup_register",
    "signup_validate",
    "ssh_key_add",
    "ssh_key_remove",
    "user_erase",
    "vat_check_retry",
    "vat_check_run",
]
