"""Legal documents and their acceptance."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.choices import LegalDocumentKind
from tenants.models import Consent, LegalDocument, Organization, User


def legal_documents_in_force(*, at: object = None) -> list[LegalDocument]:
    """The version in force of each kind of document, in the order of ``LegalDocumentKind``."""
    now = at or timezone.now()
    latest: dict[str, LegalDocument] = {}
    # One query for every kind (a handful of versions each): the first row of a kind is its newest in force.
    for document in LegalDocument.objects.filter(effective_at__lte=now).order_by("-effective_at"):
        latest.setdefault(document.kind, document)
    return [latest[kind] for kind in LegalDocumentKind if kind in latest]


def consents_missing(*, organization: Organization) -> list[LegalDocument]:
    """Documents in force that nobody has accepted for the organization yet: they block the next order.

    One query (every order runs it): the versions as ``legal_documents_in_force`` reads them, each marked whether
    the organization accepted it."""
    accepted = Consent.objects.for_organization(organization).filter(document=OuterRef("pk"))
    latest: dict[str, LegalDocument] = {}
    for document in (
        LegalDocument.objects.filter(effective_at__lte=timezone.now())
        .annotate(accepted=Exists(accepted))
        .order_by("-effective_at")
    ):
        latest.setdefault(document.kind, document)
    return [latest[kind] for kind in LegalDocumentKind if kind in latest and not latest[kind].accepted]  # type: ignore[attr-defined]


def consent_accept(
    *, actor: Actor, organization: Organization, user: User, documents: Iterable[LegalDocument]
) -> list[Consent]:
    """Record the user's acceptance of ``documents`` for the organization. Accepting again changes nothing."""
    documents = list(documents)
    in_force = {document.pk for document in legal_documents_in_force()}
    stale = [str(document) for document in documents if document.pk not in in_force]
    if stale:
        raise ValidationError({"documents": [_("Not the version in force: %(docs)s.") % {"docs": ", ".join(stale)}]})
    consents = []
    with transaction.atomic():
        for document in documents:
            consent, created = Consent.objects.for_organization(organization).get_or_create(
                organization=organization,
                document=document,
                user=user,
                defaults={"ip_address": actor.ip_address},
            )
            if created:
                audit_record(
                    actor=actor,
                    action="consent.accepted",
                    target=consent,
                    organization=organization,
                    data={"document": document.kind, "version": document.version},
                )
            consents.append(consent)
    return consents
