"""The catalog generation moves on a change of catalog data, and only then; listening to the catalog's own models
keeps every other model's deletes single statements."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.caching import GENERATION_KEY, catalog_generation
from catalog.models import Region
from tenants.models import IdempotentRequest

pytestmark = pytest.mark.django_db(transaction=True)  # the generation moves after the commit


def test_saving_and_deleting_catalog_rows_start_a_new_generation():
    before = catalog_generation()
    region = Region.objects.create(slug="test-north", name="North")
    created = catalog_generation()
    region.delete()
    assert len({before, created, catalog_generation()}) == 3


def test_a_quote_is_not_catalog_data(make_quote):
    before = catalog_generation()
    quote = make_quote()
    assert quote.lines.exists()
    assert cache.get(GENERATION_KEY) == before


def test_deleting_other_models_rows_is_one_statement(organization):
    """Django deletes rows in one statement only when no receiver listens to the model's deletes."""
    for key in ("a", "b"):
        IdempotentRequest.objects.create(
            organization=organization, caller="user:1", operation="Test.create", key=key, fingerprint="f",
            owner_token="t", claimed_until=timezone.now(), created_at=timezone.now(), expires_at=timezone.now(),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        deleted, _by_model = IdempotentRequest.objects.for_organization(organization).delete()
    assert deleted == 2
    verbs = [query["sql"].split()[0] for query in queries.captured_queries]
    assert [verb for verb in verbs if verb not in ("BEGIN", "COMMIT")] == ["DELETE"]  # no SELECT of the rows first
