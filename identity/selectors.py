"""Reads of enterprise identity."""

from __future__ import annotations

from django.db.models import QuerySet

from identity.choices import DomainStatus, Protocol
from identity.models import EmailDomain, GroupRoleMapping, IdentityProvider, SignInPolicy
from tenants.choices import OrganizationStatus
from tenants.models import Membership, Organization, User
from tenants.scoping import TenantQuerySet


def email_domain_list(*, organization: Organization) -> TenantQuerySet[EmailDomain]:
    return EmailDomain.objects.for_organization(organization).order_by("domain")


def group_role_mapping_list(*, organization: Organization) -> TenantQuerySet[GroupRoleMapping]:
    return GroupRoleMapping.objects.for_organization(organization).order_by("group")


def identity_provider_get(*, organization: Organization) -> IdentityProvider | None:
    return IdentityProvider.objects.for_organization(organization).first()


def sign_in_policy_get(*, organization: Organization) -> SignInPolicy | None:
    return SignInPolicy.objects.for_organization(organization).first()


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """Home-realm discovery: the enabled provider of the active organization that verified the address's domain."""
    domain = domain_of(email)
    if not domain:
        return None
    # Across organizations on purpose: the verified domain is what names the organization.
    verified = (
        EmailDomain.objects.unscoped()
        .filter(domain=domain, status=DomainStatus.VERIFIED, organization__status=OrganizationStatus.ACTIVE)
        .select_related("organization")
        .first()
    )
    if verified is None:
        return None
    return (
        IdentityProvider.objects.for_organization(verified.organization)
        .filter(enabled=True)
        .select_related("organization")
        .first()
    )


def identity_provider_by_provider_id(provider_id: str) -> IdentityProvider | None:
    prefix = "org-"
    if not provider_id.startswith(prefix):
        return None
    # Across organizations on purpose: allauth names the provider in the sign-in URL, before anyone signed in.
    return (
        IdentityProvider.objects.unscoped()
        .filter(
            organization__slug=provider_id[len(prefix) :], enabled=True, organization__status=OrganizationStatus.ACTIVE
        )
        .select_related("organization")
        .first()
    )


def saml_provider_for_slug(organization_slug: str) -> IdentityProvider | None:
    """The enabled SAML provider of the active organization ``organization_slug`` (SAML's URLs name the slug)."""
    # Across organizations on purpose: the ACS and metadata URLs name the organization, before anyone signed in.
    return (
        IdentityProvider.objects.unscoped()
        .filter(
            organization__slug=organization_slug,
            protocol=Protocol.SAML,
            enabled=True,
            organization__status=OrganizationStatus.ACTIVE,
        )
        .select_related("organization")
        .first()
    )


def enabled_identity_providers() -> QuerySet[IdentityProvider]:
    return (
        IdentityProvider.objects.unscoped()
        .filter(enabled=True, organization__status=OrganizationStatus.ACTIVE)
        .select_related("organization")
        .order_by("id")
    )


def verified_domains(*, organization: Organization) -> list[str]:
    return list(
        email_domain_list(organization=organization)
        .filter(status=DomainStatus.VERIFIED)
        .values_list("domain", flat=True)
    )


def policies_binding(user: User) -> list[SignInPolicy]:
    """The sign-in policies of every organization the user is a member of."""
    organization_ids = Membership.objects.unscoped().filter(user=user).values("organization_id")
    return list(
        SignInPolicy.objects.unscoped().filter(organization_id__in=organization_ids).select_related("organization")
    )
