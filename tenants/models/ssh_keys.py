"""SSH public keys people log in to their servers with."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models.core import Organization, User
from tenants.scoping import TenantOwnedModel


class SshKey(TenantOwnedModel):
    """An SSH public key of an organization: a member's own (``user`` set) or shared by the organization.

    Invariants: the key was parsed and accepted by ``tenants.ssh_keys`` (ed25519, ECDSA or RSA ≥ 3,072 bits) and is
    stored in its canonical form; a key (its SHA-256 fingerprint) appears at most once per organization; a private
    key is never stored. Written only through ``tenants.services.ssh_keys``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ssh_keys")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="ssh_keys", null=True, blank=True, verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    public_key = models.TextField(_("public key"))
    key_type = models.CharField(_("type"), max_length=32)
    bits = models.PositiveSmallIntegerField(_("bits"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("SSH key")
        verbose_name_plural = _("SSH keys")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "fingerprint"], name="tenants_sshkey_once_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint})"

    @property
    def is_shared(self) -> bool:
        return self.user_id is None
