"""Public catalog and price answers are cacheable: ETag, Cache-Control, 304 on If-None-Match, and a short
server-side copy that a catalog change (publishing a price list) replaces at once after its commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.views import APIView

from catalog.api.caching import local_copies_clear
from catalog.caching import GENERATION_KEY
from catalog.services import price_list_publish
from tests.catalog.test_price_lists import OPERATOR, complete_draft  # noqa: F401  # the fixture

pytestmark = pytest.mark.django_db
ITEMS = "/api/v1/catalog/items/"
PRICE_LISTS = "/api/v1/catalog/price-lists/"


@pytest.fixture(autouse=True)
def fresh_generation():
    cache.delete(GENERATION_KEY)
    local_copies_clear()
    yield
    cache.delete(GENERATION_KEY)
    local_copies_clear()


@pytest.fixture
def full_way(monkeypatch):  # type: ignore[no-untyped-def]
    """The paths of the requests that reached DRF (the others were answered from the process's copy)."""
    reached: list[str] = []
    initial = APIView.initial

    def spy(view, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        reached.append(request.path)
        return initial(view, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", spy)
    return reached


def get(url: str, **headers: str):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get(url, **headers)  # type: ignore[arg-type]  # WSGI environ keys
    return response, len(queries)


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_answers_carry_an_etag_and_a_matching_if_none_match_is_304(now, items, launch_prices):
    first, _queries = get(ITEMS)
    etag = first["ETag"]
    unchanged, _queries = get(ITEMS, HTTP_IF_NONE_MATCH=etag)
    other, _queries = get(ITEMS, HTTP_IF_NONE_MATCH='"something-else"')

    assert first.status_code == 200
    assert (first["Cache-Control"], first["Vary"]) == ("public, max-age=30", "Accept, Accept-Language, Cookie")
    assert (etag[0], etag[-1], len(etag)) == ('"', '"', 34)
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    assert (other.status_code, other.content) == (200, first.content)


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_a_repeated_read_is_served_from_the_cache_without_queries(now, items, flavors, launch_prices):
    urls = [ITEMS, f"{ITEMS}pytorch/", "/api/v1/catalog/flavors/", "/api/v1/catalog/prices/", PRICE_LISTS]
    first = [get(url) for url in urls]
    again = [get(url) for url in urls]

    assert [response.status_code for response, _queries in first] == [200] * 5
    assert all(queries > 0 for _response, queries in first)
    assert [queries for _response, queries in again] == [0] * 5
    assert [response.content for response, _queries in again] == [response.content for response, _queries in first]


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_the_language_and_the_query_are_part_of_the_key(now, items, launch_prices):
    english, _queries = get(ITEMS, HTTP_ACCEPT_LANGUAGE="en")
    _german, german_queries = get(ITEMS, HTTP_ACCEPT_LANGUAGE="de")
    filtered, filtered_queries = get(f"{ITEMS}?q=pytorch")

    assert (german_queries > 0, filtered_queries > 0) == (True, True)
    assert [result["slug"] for result in filtered.json()["results"]] == ["pytorch"]
    assert len(english.json()["results"]) > 1


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_publishing_a_price_list_replaces_the_cached_answers(
    now,
    launch_prices,
    complete_draft,  # noqa: F811  # the imported fixture
    django_capture_on_commit_callbacks,
):
    before, _queries = get(PRICE_LISTS)
    with django_capture_on_commit_callbacks(execute=True):
        published = price_list_publish(actor=OPERATOR, price_list=complete_draft)
    after, queries = get(PRICE_LISTS)
    stale, _queries = get(PRICE_LISTS, HTTP_IF_NONE_MATCH=before["ETag"])

    assert [entry["id"] for entry in before.json()["results"]] == [launch_prices.pk]
    assert queries > 0
    assert [entry["id"] for entry in after.json()["results"]] == [published.pk, launch_prices.pk]
    assert after["ETag"] != before["ETag"]
    assert stale.status_code == 200


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_the_prices_in_effect_are_kept_no_longer_than_until_the_next_list_takes_effect(
    now,
    launch_prices,
    complete_draft,  # noqa: F811  # the imported fixture
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        price_list_publish(actor=OPERATOR, price_list=complete_draft, effective_from=now + timedelta(seconds=12))
    soon, _queries = get("/api/v1/catalog/prices/")
    at_a_time, _queries = get("/api/v1/catalog/prices/?at=2026-11-20T10:00:00Z")

    assert (soon.json()["id"], soon["Cache-Control"]) == (launch_prices.pk, "public, max-age=12")
    assert at_a_time["Cache-Control"] == "public, max-age=30"


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_errors_are_neither_cached_nor_tagged(now, items):
    missing, _queries = get(f"{ITEMS}no-such-item/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert "ETag" not in missing


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30, KONTOR_API_THROTTLE={"anon": "100/min"})
def test_a_plain_anonymous_repeat_is_answered_from_the_process_copy_and_counted_once(
    now, items, launch_prices, fresh_rate_limits, full_way
):
    first, _queries = get(ITEMS)
    again, again_queries = get(ITEMS)
    unchanged, _queries = get(ITEMS, HTTP_IF_NONE_MATCH=first["ETag"])
    cache.set(GENERATION_KEY, "another", timeout=None)  # what a catalog change in another process does
    after_change, _queries = get(ITEMS)

    assert full_way == [ITEMS, ITEMS]  # the first read and the one after the change
    assert (again.status_code, again.content, again["ETag"], again_queries) == (200, first.content, first["ETag"], 0)
    assert again["Content-Length"] == str(len(first.content))
    assert [(name, again[name]) for name in ("Cache-Control", "Vary", "Content-Type")] == [
        (name, first[name]) for name in ("Cache-Control", "Vary", "Content-Type")
    ]
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", first["ETag"])
    assert [r["RateLimit-Remaining"] for r in (first, again, unchanged, after_change)] == ["99", "98", "97", "96"]
    assert (after_change.status_code, after_change.content) == (200, first.content)


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_a_process_copy_is_not_served_after_a_catalog_change(
    now,
    launch_prices,
    complete_draft,  # noqa: F811  # the imported fixture
    django_capture_on_commit_callbacks,
    full_way,
):
    get(PRICE_LISTS)
    get(PRICE_LISTS)
    with django_capture_on_commit_callbacks(execute=True):
        published = price_list_publish(actor=OPERATOR, price_list=complete_draft)
    after, _queries = get(PRICE_LISTS)

    assert full_way == [PRICE_LISTS, PRICE_LISTS]
    assert [entry["id"] for entry in after.json()["results"]] == [published.pk, launch_prices.pk]


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30)
def test_requests_with_a_cookie_credentials_or_parameters_in_accept_go_the_full_way(now, items, full_way):
    get(ITEMS)
    get(ITEMS, HTTP_COOKIE="sessionid=x")
    get(ITEMS, HTTP_AUTHORIZATION="Bearer something")
    get(ITEMS, HTTP_ACCEPT="application/json; indent=4")

    assert full_way == [ITEMS] * 4


@override_settings(KONTOR_CATALOG_CACHE_SECONDS=30, KONTOR_API_THROTTLE={"anon": "2/min"})
def test_past_the_anonymous_limit_a_copy_is_refused_in_the_one_error_shape(now, items, fresh_rate_limits):
    get(ITEMS)
    second, _queries = get(ITEMS)
    refused, _queries = get(ITEMS)

    assert (second.status_code, second["RateLimit-Remaining"]) == (200, "0")
    assert (refused.status_code, refused.json()["code"], refused["RateLimit-Remaining"]) == (429, "throttled", "0")
    assert int(refused["Retry-After"]) > 0
