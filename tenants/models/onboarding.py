"""Onboarding evidence: VAT ID checks and legal documents with their acceptances."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.choices import LegalDocumentKind, VatCheckResult
from tenants.models.core import Organization, User
from tenants.scoping import TenantOwnedModel


class VatCheck(TenantOwnedModel):
    """One check of an organization's VAT ID against VIES: the evidence an operator (or a rule) approves on.

    Invariants: never changed after it is written; ``result`` is one of ``VatCheckResult``; an ``unavailable`` check
    carries the error that made it so.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vat_checks")
    vat_id = models.CharField(_("VAT ID"), max_length=20)
    result = models.CharField(_("result"), max_length=16, choices=VatCheckResult.choices)
    checked_at = models.DateTimeField(_("checked"), auto_now_add=True)
    registered_name = models.CharField(_("registered name"), max_length=255, blank=True)
    registered_address = models.TextField(_("registered address"), blank=True)
    request_identifier = models.CharField(_("VIES request ID"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("VAT ID check")
        verbose_name_plural = _("VAT ID checks")
        get_latest_by = "checked_at"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__in=VatCheckResult.values), name="tenants_vatcheck_result_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vat_id}: {self.result}"


class LegalDocument(models.Model):
    """A version of a legal document customers accept: Terms of Service, DPA (GDPR Art. 28), Privacy Notice.

    Invariants: one row per (kind, version); the version in force for a kind is the one with the latest
    ``effective_at`` not in the future; a published document is never edited — a change is a new version.
    """

    kind = models.CharField(_("document"), max_length=16, choices=LegalDocumentKind.choices)
    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    effective_at = models.DateTimeField(_("in force from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["kind", "-effective_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="tenants_legaldocument_kind_version_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=LegalDocumentKind.values), name="tenants_legaldocument_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"


class Consent(TenantOwnedModel):
    """A user's acceptance, for an organization, of one version of a legal document.

    Invariants: written once, never changed; one per (organization, document, user); keeps the time and IP address
    of the acceptance as evidence.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(LegalDocument, on_delete=models.PROTECT, related_name="consents")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consents")
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["organization", "document", "user"], name="tenants_consent_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.document}"
