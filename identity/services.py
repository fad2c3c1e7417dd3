"""Every write of enterprise identity. Each service is atomic and writes its audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.secrets import encrypt_secret
from core.tasks import enqueue_on_commit
from identity.choices import ROLE_PRECEDENCE, DomainStatus, Protocol
from identity.discovery import check_url, fetch_discovery
from identity.dns import DnsLookupError, txt_values
from identity.models import (
    EmailDomain,
    ExternalIdentity,
    GroupRoleMapping,
    IdentityProvider,
    SamlAssertion,
    SignInPolicy,
)
from identity.policy import has_second_factor
from identity.saml_config import SamlIdp, certificate_read, metadata_fetch, metadata_read
from identity.tasks import email_domain_check_task
from tenants.audit import Actor, audit_record
from tenants.choices import Role
from tenants.models import Membership, Organization, User

DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")


# --- E-mail domains -----------------------------------------------------------------------------------------------


def email_domain_claim(*, actor: Actor, organization: Organization, domain: str) -> EmailDomain:
    """Claim ``domain`` for the organization; it routes sign-in only once its DNS record has been found."""
    domain = domain.strip().lower().rstrip(".")
    if not DOMAIN_PATTERN.match(domain):
        raise ValidationError({"domain": [_("Enter a domain name such as example.de.")]}, code="invalid_domain")
    with transaction.atomic():
        if EmailDomain.objects.unscoped().filter(domain=domain, status=DomainStatus.VERIFIED).exists():
            raise ValidationError(
                {"domain": [_("This domain is already verified by another organization.")]}, code="domain_taken"
            )
        if EmailDomain.objects.for_organization(organization).filter(domain=domain).exists():
            raise ValidationError({"domain": [_("This domain is already claimed.")]}, code="domain_claimed")
        email_domain = EmailDomain.objects.create(
            organization=organization, domain=domain, token=secrets.token_urlsafe(24)
        )
        audit_record(
            actor=actor,
            action="email_domain.claimed",
            target=email_domain,
            organization=organization,
            data={"domain": domain},
        )
    return email_domain


def email_domain_request_check(*, organization: Organization, email_domain: EmailDomain) -> None:
    """Ask the worker to look for the DNS record (after commit)."""
    if email_domain.organization_id != organization.pk:
        raise EmailDomain.DoesNotExist
    with transaction.atomic():
        enqueue_on_commit(email_domain_check_task, email_domain.pk)


def email_domain_check(*, email_domain_id: int) -> EmailDomain:
    """Look for ``kontor-verification=<token>`` at ``_kontor-challenge.<domain>``; verify the domain when found.

    A verified domain is not checked again (running twice changes nothing). A look-up that times out leaves the
    status as it was and records the reason.
    """
    # Across organizations on purpose: a task loads its row by ID.
    current = EmailDomain.objects.unscoped().get(pk=email_domain_id)
    if current.status == DomainStatus.VERIFIED:
        return current
    lookup_error = ""
    try:
        found = current.record_value in txt_values(current.record_name)
    except DnsLookupError as exc:
        found, lookup_error = False, _("The DNS look-up failed: %(reason)s") % {"reason": str(exc)[:200]}
    try:
        with transaction.atomic():
            locked = EmailDomain.objects.unscoped().select_for_update().get(pk=email_domain_id)
            if locked.status == DomainStatus.VERIFIED:
                return locked
            now = timezone.now()
            locked.last_checked_at = now
            previous = locked.status
            if found:
                locked.status, locked.verified_at, locked.last_error = DomainStatus.VERIFIED, now, ""
            elif not lookup_error:
                locked.status = DomainStatus.FAILED
                locked.last_error = _("No TXT record %(value)s at %(name)s.") % {
                    "value": locked.record_value,
                    "name": locked.record_name,
                }
            else:
                locked.last_error = lookup_error
            locked.save(update_fields=["status", "verified_at", "last_checked_at", "last_error"])
            if locked.status != previous:
                audit_record(
                    actor=Actor.system("dns-check"),
                    action=f"email_domain.{locked.status}",
                    target=locked,
                    organization=locked.organization,
                    data={"domain": locked.domain, "from": previous},
                )
    except IntegrityError:
        # Another organization verified the same domain first (the partial unique constraint).
        with transaction.atomic():
            locked = EmailDomain.objects.unscoped().select_for_update().get(pk=email_domain_id)
            locked.status, locked.last_checked_at = DomainStatus.FAILED, timezone.now()
            locked.last_error = _("This domain is already verified by another organization.")
            locked.save(update_fields=["status", "last_checked_at", "last_error"])
    return locked


def email_domain_remove(*, actor: Actor, organization: Organization, email_domain: EmailDomain) -> None:
    with transaction.atomic():
        locked = EmailDomain.objects.for_organization(organization).select_for_update().get(pk=email_domain.pk)
        audit_record(
            actor=actor,
            action="email_domain.removed",
            target=locked,
            organization=organization,
            data={"domain": locked.domain, "status": locked.status},
        )
        EmailDomain.objects.for_organization(organization).filter(pk=locked.pk).delete()


# --- The identity provider ----------------------------------------------------------------------------------------


def identity_provider_configure(
    *,
    actor: Actor,
    organization: Organization,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    scopes: str = "openid email profile",
    groups_claim: str = "groups",
    enabled: bool = True,
) -> IdentityProvider:
    """Create or change the organization's OIDC provider after reading and checking its discovery document.

    ``client_secret`` None keeps the stored secret (it is never shown again); a new provider needs one.
    """
    issuer = issuer.strip().rstrip("/")
    client_id = client_id.strip()
    if not client_id:
        raise ValidationError({"client_id": [_("The client ID is required.")]}, code="required")
    scope_list = scopes.split()
    if "openid" not in scope_list:
        raise ValidationError({"scopes": [_("The scopes must include openid.")]}, code="openid_scope")
    discovery = fetch_discovery(issuer)  # outside the transaction: a network call
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        provider = IdentityProvider.objects.for_organization(organization).first()
        if provider is None:
            if not client_secret:
                raise ValidationError({"client_secret": [_("The client secret is required.")]}, code="required")
            provider = IdentityProvider(organization=organization)
            action = "identity_provider.created"
        else:
            action = "identity_provider.updated"
            if provider.protocol != Protocol.OIDC and not client_secret:
                raise ValidationError({"client_secret": [_("The client secret is required.")]}, code="required")
        provider.protocol = Protocol.OIDC
        provider.saml_entity_id = provider.saml_sso_url = provider.saml_metadata_url = provider.saml_certificate = ""
        provider.saml_certificate_not_after = None
        provider.issuer, provider.client_id, provider.discovery = issuer, client_id, discovery
        provider.scopes, provider.groups_claim, provider.enabled = " ".join(scope_list), groups_claim.strip(), enabled
        if client_secret:
            provider.client_secret_encrypted = encrypt_secret(client_secret)
        provider.save()
        audit_record(
            actor=actor,
            action=action,
            target=provider,
            organization=organization,
            data={
                "issuer": issuer,
                "client_id": client_id,
                "scopes": provider.scopes,
                "groups_claim": provider.groups_claim,
                "enabled": enabled,
                "secret_changed": bool(client_secret),
                "protocol": Protocol.OIDC,
            },
        )
    return provider


def identity_provider_configure_saml(
    *,
    actor: Actor,
    organization: Organization,
    metadata_url: str = "",
    metadata_xml: str = "",
    entity_id: str = "",
    sso_url: str = "",
    certificate: str = "",
    groups_attribute: str = "groups",
    enabled: bool = True,
) -> IdentityProvider:
    """Create or change the organization's SAML 2.0 provider from its metadata (fetched from ``metadata_url`` or
    pasted as ``metadata_xml``) or from ``entity_id``, ``sso_url`` and ``certificate``. An expired certificate is
    refused; its expiry is stored and shown."""
    metadata_url, entity_id, sso_url = metadata_url.strip(), entity_id.strip(), sso_url.strip()
    idp: SamlIdp
    if metadata_url:
        idp = metadata_read(metadata_fetch(metadata_url), entity_id=entity_id, field="metadata_url")
    elif metadata_xml.strip():
        idp = metadata_read(metadata_xml, entity_id=entity_id)
    else:
        errors: dict[str, list[str]] = {}
        if not entity_id:
            errors["entity_id"] = [_("The IdP entity ID is required.")]
        if not sso_url:
            errors["sso_url"] = [_("The single sign-on URL is required.")]
        if not certificate.strip():
            errors["certificate"] = [_("The IdP signing certificate is required.")]
        if errors:
            raise ValidationError(errors, code="required")
        check_url(sso_url, field="sso_url")
        idp = SamlIdp(entity_id=entity_id, sso_url=sso_url, certificate=certificate_read(certificate))
    groups_attribute = groups_attribute.strip()
    if not groups_attribute:
        raise ValidationError({"groups_attribute": [_("Name the attribute that holds the groups.")]}, code="required")
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        provider = IdentityProvider.objects.for_organization(organization).first()
        action = "identity_provider.updated"
        if provider is None:
            provider, action = IdentityProvider(organization=organization), "identity_provider.created"
        provider.protocol = Protocol.SAML
        provider.issuer = provider.client_id = provider.client_secret_encrypted = ""
        provider.discovery = {}
        provider.saml_entity_id, provider.saml_sso_url, provider.saml_metadata_url = (
            idp.entity_id,
            idp.sso_url,
            metadata_url,
        )
        provider.saml_certificate, provider.saml_certificate_not_after = idp.certificate.body, idp.certificate.not_after
        provider.groups_claim, provider.enabled = groups_attribute, enabled
        provider.save()
        audit_record(
            actor=actor,
            action=action,
            target=provider,
            organization=organization,
            data={
                "protocol": Protocol.SAML,
                "entity_id": idp.entity_id,
                "sso_url": idp.sso_url,
                "metadata_url": metadata_url,
                "certificate_not_after": idp.certificate.not_after.isoformat(),
                "groups_attribute": groups_attribute,
                "enabled": enabled,
            },
        )
    return provider


def identity_provider_remove(*, actor: Actor, organization: Organization) -> None:
    """Disconnect the provider; refused while the sign-in policy requires single sign-on."""
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        policy = SignInPolicy.objects.for_organization(organization).first()
        if policy is not None and policy.sso_required:
            raise ValidationError(
                _("Single sign-on is required: turn that off before removing the provider."), code="sso_required"
            )
        provider = IdentityProvider.objects.for_organization(organization).select_for_update().first()
        if provider is None:
            raise IdentityProvider.DoesNotExist
        audit_record(
            actor=actor,
            action="identity_provider.removed",
            target=provider,
            organization=organization,
            data={"protocol": provider.protocol, "issuer": provider.issuer, "entity_id": provider.saml_entity_id},
        )
        IdentityProvider.objects.for_organization(organization).filter(pk=provider.pk).delete()


def saml_assertion_consume(*, organization: Organization, assertion_id: str, not_on_or_after: dt.datetime) -> None:
    """Record an accepted assertion; refused when the same assertion was accepted before (a replay)."""
    try:
        with transaction.atomic():
            SamlAssertion.objects.create(
                organization=organization, assertion_id=assertion_id[:255], not_on_or_after=not_on_or_after
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("This answer of the identity provider has already been used: sign in again."), code="saml_replayed"
        ) from exc


def saml_assertion_purge() -> int:
    """Forget assertions past their validity (python3-saml refuses them by time); returns how many."""
    # Across organizations on purpose: a sweeper.
    deleted, _counts = SamlAssertion.objects.unscoped().filter(not_on_or_after__lt=timezone.now()).delete()
    return deleted


def group_role_mapping_set(*, actor: Actor, organization: Organization, group: str, role: str) -> GroupRoleMapping:
    """Map a provider group to a Kontor role (replacing an earlier mapping of the group); applies at next sign-in."""
    group = group.strip()
    if not group:
        raise ValidationError({"group": [_("The group is required.")]}, code="required")
    if role not in Role.values:
        raise ValidationError({"role": [_("There is no role %(role)s.") % {"role": role}]}, code="invalid_role")
    with transaction.atomic():
        mapping = (
            GroupRoleMapping.objects.for_organization(organization).select_for_update().filter(group=group).first()
        )
        previous = mapping.role if mapping else None
        if mapping is None:
            mapping = GroupRoleMapping.objects.create(organization=organization, group=group, role=role)
        elif mapping.role != role:
            mapping.role = role
            mapping.save(update_fields=["role"])
        if previous != role:
            audit_record(
                actor=actor,
                action="group_role_mapping.set",
                target=mapping,
                organization=organization,
                data={"group": group, "role": role, "previous_role": previous},
            )
    return mapping


def group_role_mapping_remove(*, actor: Actor, organization: Organization, mapping: GroupRoleMapping) -> None:
    with transaction.atomic():
        locked = GroupRoleMapping.objects.for_organization(organization).select_for_update().get(pk=mapping.pk)
        audit_record(
            actor=actor,
            action="group_role_mapping.removed",
            target=locked,
            organization=organization,
            data={"group": locked.group, "role": locked.role},
        )
        GroupRoleMapping.objects.for_organization(organization).filter(pk=locked.pk).delete()


def role_for_groups(*, organization: Organization, groups: Iterable[str]) -> str | None:
    """The role the mappings grant for ``groups``: the highest in ``ROLE_PRECEDENCE``, None when none is mapped."""
    granted = set(
        GroupRoleMapping.objects.for_organization(organization)
        .filter(group__in=list(groups))
        .values_list("role", flat=True)
    )
    return next((role for role in ROLE_PRECEDENCE if role in granted), None)


def membership_apply_role(
    *, organization: Organization, user: User, role: str | None, owners: list[Membership]
) -> tuple[str | None, str | None, Membership | None]:
    """Give ``user`` exactly ``role`` in the organization (None: no membership), inside the caller's transaction
    with the owners' rows locked. The last owner and the break-glass owner are left alone. Returns the role before,
    the role after and the membership."""
    membership = Membership.objects.for_organization(organization).select_for_update().filter(user=user).first()
    policy = SignInPolicy.objects.for_organization(organization).first()
    protected = membership is not None and (
        (policy is not None and policy.break_glass_owner_id == user.pk)
        or (membership.role == Role.OWNER and len(owners) == 1)
    )
    before = membership.role if membership else None
    if protected:
        pass
    elif role and membership is None:
        membership = Membership.objects.create(organization=organization, user=user, role=role)
    elif role and membership is not None and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    elif role is None and membership is not None:
        Membership.objects.for_organization(organization).filter(pk=membership.pk).delete()
        membership = None
    return before, (membership.role if membership else None), membership


# --- Sign-in through the provider ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SsoSignIn:
    user: User
    role: str | None
    membership: Membership | None


def sso_sign_in_sync(
    *, provider: IdentityProvider, user: User, subject: str, groups: list[str], ip_address: str | None = None
) -> SsoSignIn:
    """Apply what the provider said at sign-in: record the external identity and set the member's role from the
    group mappings — a new member gets a membership only when a mapping grants a role, a member whose groups no
    longer map loses the membership (the organization's last owner and the break-glass owner are left alone)."""
    organization = provider.organization
    actor = Actor.for_user(user, ip_address=ip_address)
    with transaction.atomic():
        owners = list(
            Membership.objects.for_organization(organization).select_for_update().filter(role=Role.OWNER).order_by("id")
        )
        identity = ExternalIdentity.objects.for_organization(organization).select_for_update().filter(user=user).first()
        if identity is None:
            identity = ExternalIdentity(organization=organization, user=user, subject=subject)
        elif not identity.active:
            raise ValidationError(_("Your account was deprovisioned by your organization."), code="deprovisioned")
        # SCIM may have named the person by its own externalId; the provider's subject is the one that signs in.
        identity.subject = subject
        scim_groups = list(identity.scim_groups.values_list("display_name", flat=True)) if identity.pk else []
        role = role_for_groups(organization=organization, groups=[*groups, *scim_groups])
        identity.groups, identity.role, identity.last_sign_in_at = sorted(groups), role or "", timezone.now()
        identity.save()
        before, after, membership = membership_apply_role(
            organization=organization, user=user, role=role, owners=owners
        )
        audit_record(
            actor=actor,
            action="identity.sso_sign_in",
            target=identity,
            organization=organization,
            data={"subject": subject, "groups": sorted(groups), "role": after, "previous_role": before},
        )
        if before != after:
            audit_record(
                actor=Actor.system("sso"),
                action="membership.sso_role_changed",
                target=membership or identity,
                organization=organization,
                data={"user_id": user.pk, "role": after, "previous_role": before, "groups": sorted(groups)},
            )
    return SsoSignIn(user=user, role=after, membership=membership)


# --- The sign-in policy -------------------------------------------------------------------------------------------


def sign_in_policy_set(
    *,
    actor: Actor,
    organization: Organization,
    sso_required: bool,
    mfa_required: bool,
    break_glass_owner: User | None,
) -> SignInPolicy:
    """Set how members sign in. Requiring SSO needs an enabled provider and a break-glass owner who is an owner."""
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        if (
            break_glass_owner is not None
            and not Membership.objects.for_organization(organization)
            .filter(user=break_glass_owner, role=Role.OWNER)
            .exists()
        ):
            raise ValidationError(
                {"break_glass_owner": [_("The break-glass account must be an owner of the organization.")]},
                code="not_owner",
            )
        if break_glass_owner is not None and not has_second_factor(break_glass_owner):
            raise ValidationError(
                {"break_glass_owner": [_("The break-glass owner must set up a second factor first.")]},
                code="break_glass_without_mfa",
            )
        if sso_required:
            if not IdentityProvider.objects.for_organization(organization).filter(enabled=True).exists():
                raise ValidationError(
                    {"sso_required": [_("Connect and enable an identity provider first.")]}, code="no_provider"
                )
            if break_glass_owner is None:
                raise ValidationError(
                    {"break_glass_owner": [_("Name a break-glass owner before requiring single sign-on.")]},
                    code="break_glass_required",
                )
        policy = SignInPolicy.objects.for_organization(organization).select_for_update().first()
        if policy is None:
            policy = SignInPolicy(organization=organization)
        policy.sso_required, policy.mfa_required, policy.break_glass_owner = (
            sso_required,
            mfa_required,
            break_glass_owner,
        )
        policy.save()
        audit_record(
            actor=actor,
            action="sign_in_policy.set",
            target=policy,
            organization=organization,
            data={
                "sso_required": sso_required,
                "mfa_required": mfa_required,
                "break_glass_owner_id": break_glass_owner.pk if break_glass_owner else None,
            },
        )
    return policy
