"""Legal documents and their acceptance."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.statements import PreparedSQL, Statement, statements_execute
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


#: The versions in force as ``legal_documents_in_force`` reads them (newest first), each with whether the organization
#: accepted it: ids and kinds only, no document's body (a booking reads it on every order).
_CONSENTS_SQL = """
SELECT d.id, d.kind, EXISTS (
    SELECT 1 FROM tenants_consent c WHERE c.organization_id = %(consents_organization)s AND c.document_id = d.id
)
FROM tenants_legaldocument d WHERE d.effective_at <= %(consents_at)s ORDER BY d.effective_at DESC
"""

#: ``_CONSENTS_SQL`` parsed once per session (PostgreSQL's default plan cache: after five planned runs, the one plan).
_CONSENTS = PreparedSQL(_CONSENTS_SQL, types=None)

#: The rows of ``_CONSENTS_SQL``: (document id, kind, accepted).
ConsentRows = list[tuple[int, str, bool]]


def consents_statement(*, organization: Organization) -> Statement:
    """``consents_missing``'s one read as a statement the caller may send with others in one round trip (a booking
    sends it with the organization's lock); its rows go to ``consents_missing(rows=...)``."""
    return _CONSENTS, {"consents_organization": organization.pk, "consents_at": timezone.now()}


def consents_missing(*, organization: Organization, rows: ConsentRows | None = None) -> list[LegalDocument]:
    """Documents in force that nobody has accepted for the organization yet: they block the next order.

    One plain statement (every order runs it): the versions as ``legal_documents_in_force`` reads them, each
    marked whether the organization accepted it, without the documents' bodies; ``rows`` are its rows when the
    caller read them already (``consents_statement``). Only when some are missing is a second query made for
    those documents, whole."""
    if rows is None:
        (rows,) = statements_execute([consents_statement(organization=organization)])
    latest: dict[str, tuple[int, bool]] = {}
    for document_id, kind, accepted in rows:
        latest.setdefault(kind, (document_id, bool(accepted)))
    missing = [latest[kind][0] for kind in LegalDocumentKind if kind in latest and not latest[kind][1]]
    if not missing:
        return []
    documents = LegalDocument.objects.in_bulk(missing)
    return [documents[document_id] for document_id in missing if document_id in documents]


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
