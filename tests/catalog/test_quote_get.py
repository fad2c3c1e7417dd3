"""``quote_get`` from its prepared statements answers what ``quote_list`` answers for the quote, field for field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.selectors import quote_get, quote_list

pytestmark = pytest.mark.django_db


def _fields(obj: object) -> dict[str, object]:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}  # type: ignore[attr-defined]


def test_the_quote_with_its_related_rows_and_lines(make_quote, organization, other_organization):
    quote = make_quote(instance_count=2)
    make_quote()  # another of the organization
    expected = quote_list(organization=organization).get(pk=quote.pk)
    found = quote_get(organization=organization, quote_id=quote.pk)
    assert found is not None
    with CaptureQueriesContext(connection) as queries:
        related = [
            found.organization,
            found.item_version,
            found.item_version.item,
            found.flavor,
            found.flavor.node_type,
            found.flavor.node_type.gpu_model,
            found.price_list,
        ]
        lines = list(found.lines.all())
        line_quotes = {line.quote for line in lines}
    assert queries.captured_queries == []  # joined or prefetched, as quote_list does
    assert _fields(found) == _fields(expected)
    assert [_fields(obj) for obj in related] == [
        _fields(obj)
        for obj in (
            expected.organization,
            expected.item_version,
            expected.item_version.item,
            expected.flavor,
            expected.flavor.node_type,
            expected.flavor.node_type.gpu_model,
            expected.price_list,
        )
    ]
    assert lines  # a quote has its price lines
    assert [_fields(line) for line in lines] == [_fields(line) for line in expected.lines.all()]
    assert line_quotes == {found}


def test_another_organizations_or_a_missing_quote_is_none(make_quote, organization, other_organization):
    quote = make_quote()
    assert quote_get(organization=other_organization, quote_id=quote.pk) is None
    assert quote_get(organization=organization, quote_id=quote.pk + 1000) is None
    assert quote_get(organization=organization, quote_id=2**70) is None
