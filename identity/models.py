"""Enterprise identity: verified e-mail domains, an organization's identity provider, group → role mappings,
the sign-in policy and the external identities signed in through a provider."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from identity.choices import DomainStatus, Protocol
from tenants.choices import Role
from tenants.models import Organization, User
from tenants.scoping import TenantOwnedModel


class EmailDomain(TenantOwnedModel):
    """An e-mail domain an organization claims, proven by a DNS TXT record ``kontor-verification=<token>`` at
    ``_kontor-challenge.<domain>``.

    Invariants: the domain is stored lower-case without a trailing dot; an organization claims a domain once; a
    domain is verified for at most one organization (a partial unique constraint); ``verified_at`` is set exactly
    while the status is ``verified``; the status changes only through ``identity.services.email_domain_check``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(_("domain"), max_length=253)
    token = models.CharField(_("verification token"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=DomainStatus.choices, default=DomainStatus.PENDING)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.CharField(_("last result"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="identity_domain_once_per_org"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(status=DomainStatus.VERIFIED),
                name="identity_domain_verified_once",
            ),
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="identity_domain_lowercase"),
            models.CheckConstraint(
                condition=models.Q(status__in=DomainStatus.values), name="identity_domain_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=DomainStatus.VERIFIED, verified_at__isnull=False)
                | (~models.Q(status=DomainStatus.VERIFIED) & models.Q(verified_at__isnull=True)),
                name="identity_domain_verified_at_iff_verified",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def record_name(self) -> str:
        return f"_kontor-challenge.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"kontor-verification={self.token}"


class IdentityProvider(TenantOwnedModel):
    """An organization's identity provider (one per organization): OpenID Connect or SAML 2.0.

    Invariants (OIDC): the issuer is HTTPS (plain HTTP only on loopback where ``KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP``
    is on) and its discovery document, stored in ``discovery``, named that issuer and every endpoint sign-in needs
    when it was saved; the client secret is stored only as a Fernet token and never shown again.
    Invariants (SAML): the IdP's entity ID, single sign-on URL and signing certificate are stored as the metadata
    (fetched from ``saml_metadata_url`` or pasted) said when it was saved; the certificate had not expired then and
    ``saml_certificate_not_after`` is its expiry. ``groups_claim`` names the claim or attribute holding groups.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="identity_provider")
    protocol = models.CharField(_("protocol"), max_length=8, choices=Protocol.choices, default=Protocol.OIDC)
    issuer = models.URLField(_("issuer"), max_length=500, blank=True)
    client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"), blank=True)
    scopes = models.CharField(_("scopes"), max_length=255, default="openid email profile")
    groups_claim = models.CharField(_("groups claim"), max_length=255, default="groups")
    discovery = models.JSONField(_("discovery document"), default=dict)
    saml_entity_id = models.CharField(_("IdP entity ID"), max_length=500, blank=True)
    saml_sso_url = models.URLField(_("IdP single sign-on URL"), max_length=500, blank=True)
    saml_metadata_url = models.URLField(_("IdP metadata URL"), max_length=500, blank=True)
    saml_certificate = models.TextField(_("IdP signing certificate"), blank=True)
    saml_certificate_not_after = models.DateTimeField(_("certificate expires"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(protocol__in=Protocol.values), name="identity_provider_protocol_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(protocol=Protocol.OIDC) & ~models.Q(issuer="") & ~models.Q(client_secret_encrypted="")
                )
                | (
                    models.Q(protocol=Protocol.SAML)
                    & ~models.Q(saml_entity_id="")
                    & ~models.Q(saml_sso_url="")
                    & ~models.Q(saml_certificate="")
                    & models.Q(saml_certificate_not_after__isnull=False)
                ),
                name="identity_provider_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.issuer or self.saml_entity_id}"

    @property
    def provider_id(self) -> str:
        """The allauth provider ID, part of the OIDC sign-in and callback URLs (SAML's URLs name the slug)."""
        return f"org-{self.organization.slug}"


class SamlAssertion(TenantOwnedModel):
    """A SAML assertion Kontor accepted, kept until it expires so that it cannot be presented again.

    Invariants: an assertion ID once per organization; rows past ``not_on_or_after`` are deleted by the sweeper
    (``saml_assertion_purge``) — python3-saml refuses them by their time window anyway.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(_("assertion ID"), max_length=255)
    not_on_or_after = models.DateTimeField(_("valid until"))
    consumed_at = models.DateTimeField(_("consumed"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("consumed SAML assertion")
        verbose_name_plural = _("consumed SAML assertions")
        constraints = [
            models.UniqueConstraint(fields=["organization", "assertion_id"], name="identity_saml_assertion_once"),
        ]

    def __str__(self) -> str:
        return self.assertion_id


class GroupRoleMapping(TenantOwnedModel):
    """A group of the organization's identity provider and the Kontor role its members get.

    Invariants: a group maps to one role per organization; the role is one of ``Role`` (a check constraint).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="group_role_mappings")
    group = models.CharField(_("group"), max_length=255)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("group → role mapping")
        verbose_name_plural = _("group → role mappings")
        constraints = [
            models.UniqueConstraint(fields=["organization", "group"], name="identity_mapping_group_once"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="identity_mapping_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.role}"


class SignInPolicy(TenantOwnedModel):
    """How an organization's members may sign in.

    Invariants: one policy per organization; with ``sso_required`` its members cannot sign in with a password,
    except the ``break_glass_owner`` (an owner of the organization, checked by the service), who must then pass a
    second factor; with ``mfa_required`` every password sign-in of a member needs a second factor.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sign_in_policy")
    sso_required = models.BooleanField(_("single sign-on required"), default=False)
    mfa_required = models.BooleanField(_("second factor required"), default=False)
    break_glass_owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("break-glass owner")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")

    def __str__(self) -> str:
        return f"{self.organization}"


class ExternalIdentity(TenantOwnedModel):
    """A person as the organization's identity provider knows them (``sub``), linked to a Kontor user.

    Invariants: one row per organization and subject, and per organization and user; ``groups`` and
    ``role`` are what the last sign-in brought (``role`` empty when no mapping granted one); an identity that SCIM
    deprovisioned (``active`` False) cannot sign in until SCIM activates it again.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="external_identities")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    subject = models.CharField(_("subject"), max_length=255)
    user_name = models.CharField(
        _("SCIM user name"),
        max_length=255,
        blank=True,
        help_text=_("SCIM's userName when it is not the e-mail address."),
    )
    groups = models.JSONField(_("groups"), default=list)
    role = models.CharField(_("role"), max_length=16, blank=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("False once SCIM deprovisioned the person."))
    last_sign_in_at = models.DateTimeField(_("last sign-in"))

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["organization", "subject"], name="identity_external_subject_once"),
            models.UniqueConstraint(fields=["organization", "user"], name="identity_external_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user}"


class ScimToken(TenantOwnedModel):
    """A bearer token with which the organization's identity provider provisions people over SCIM 2.0.

    Invariants: the secret is never stored, only its SHA-256 digest; ``prefix`` is unique; a revoked token never
    authenticates, nor does any token of an organization that is not active.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_tokens")
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")

    def __str__(self) -> str:
        return f"scim_{self.prefix}"


class ScimGroup(TenantOwnedModel):
    """A group the organization's provider pushed over SCIM; its name is what ``GroupRoleMapping`` maps.

    Invariants: a display name once per organization; members are external identities of the same organization
    (checked by the SCIM services); a change of members sets their roles at once, like a sign-in would.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_groups")
    display_name = models.CharField(_("name"), max_length=255)
    external_id = models.CharField(_("external ID"), max_length=255, blank=True)
    members = models.ManyToManyField(ExternalIdentity, related_name="scim_groups", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("SCIM group")
        verbose_name_plural = _("SCIM groups")
        constraints = [
            models.UniqueConstraint(fields=["organization", "display_name"], name="identity_scim_group_name_once"),
        ]

    def __str__(self) -> str:
        return self.display_name
