"""``consents_missing``: the newest version in force of each kind, unless the organization accepted it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.choices import LegalDocumentKind
from tenants.models import Consent, LegalDocument
from tenants.services import consents_missing
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_only_the_versions_in_force_that_the_organization_did_not_accept_are_missing_whole_in_kind_order(
    legal_documents,
):
    organization, other = OrganizationFactory(), OrganizationFactory()
    user = UserFactory()
    terms, dpa, privacy = legal_documents
    for document in (terms, dpa):
        Consent.objects.create(organization=organization, document=document, user=user)
    Consent.objects.create(organization=other, document=privacy, user=user)  # another organization's acceptance
    now = timezone.now()
    new_terms = LegalDocument.objects.create(
        kind=LegalDocumentKind.TERMS, version="2026-11", title="Terms", body="The new terms.", effective_at=now
    )
    LegalDocument.objects.create(  # not in force yet: nothing to accept
        kind=LegalDocumentKind.DPA, version="2027-01", title="DPA", body="…", effective_at=now + timedelta(days=3)
    )

    missing = consents_missing(organization=organization)

    assert missing == [new_terms, privacy]  # in the order of LegalDocumentKind
    with CaptureQueriesContext(connection) as queries:
        assert missing[0].body == "The new terms."  # loaded whole: no query per document later
    assert len(queries) == 0


def test_nothing_is_missing_once_every_version_in_force_is_accepted_in_one_statement(legal_documents):
    organization, user = OrganizationFactory(), UserFactory()
    for document in legal_documents:
        Consent.objects.create(organization=organization, document=document, user=user)

    with CaptureQueriesContext(connection) as queries:
        assert consents_missing(organization=organization) == []
    assert len(queries) == 1
