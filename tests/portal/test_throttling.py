"""API throttles: per API key, per signed-in user, per anonymous address, and failed key authentications per
address; 429 in the one error shape with Retry-After, and RateLimit-* headers on every counted answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from tenants.audit import Actor
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.tenants.test_login_limits import closed_port

pytestmark = pytest.mark.django_db
GENEROUS = "100000/min"
CATALOG = "/api/v1/catalog/items/"
KEYS = "/api/v1/organizations/rheinwerk/members/"


def throttled(seconds: int) -> dict[str, object]:
    return {
        "detail": f"Request was throttled. Expected available in {seconds} seconds.",
        "code": "throttled",
        "fields": {},
    }


def limits(**rates: str | None) -> dict[str, str | None]:
    return {"api_key": GENEROUS, "user": GENEROUS, "anon": GENEROUS, "auth_failures": GENEROUS, **rates}


def headers(response) -> tuple[str | None, ...]:  # type: ignore[no-untyped-def]
    return tuple(response.get(name) for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


@pytest.fixture(autouse=True)
def at_a_minute(fresh_rate_limits):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 15, tzinfo=UTC), tick=False):
        yield


def key_token(organization, owner, name: str) -> str:
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name=name, scopes=[Scope.MEMBERS_MANAGE]
    )
    return token


def with_key(token: str, ip: str = "198.51.100.30") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@override_settings(KONTOR_API_THROTTLE=limits(anon="3/min"))
def test_anonymous_requests_are_limited_per_address_with_ratelimit_headers():
    answers = [APIClient(REMOTE_ADDR="198.51.100.10").get(CATALOG) for _ in range(4)]
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.11").get(CATALOG)

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [headers(answer) for answer in answers] == [
        ("3", "2", "45"),
        ("3", "1", "45"),
        ("3", "0", "45"),
        ("3", "0", "45"),
    ]
    assert answers[3].json() == throttled(45)
    assert answers[3]["Retry-After"] == "45"
    assert (elsewhere.status_code, headers(elsewhere)) == (200, ("3", "2", "45"))


@override_settings(KONTOR_API_THROTTLE=limits(anon="1/min"))
def test_the_window_ends_and_the_address_is_served_again():
    client = APIClient(REMOTE_ADDR="198.51.100.12")
    first, second = client.get(CATALOG), client.get(CATALOG)
    with time_machine.travel(datetime(2026, 12, 1, 9, 1, 0, tzinfo=UTC), tick=False):
        next_minute = client.get(CATALOG)

    assert [first.status_code, second.status_code, next_minute.status_code] == [200, 429, 200]


@override_settings(KONTOR_API_THROTTLE=limits(api_key="2/min"))
def test_requests_are_limited_per_api_key(organization, owner):
    first_key, second_key = key_token(organization, owner, "ERP"), key_token(organization, owner, "CI")

    answers = [with_key(first_key).get(KEYS) for _ in range(3)]
    other_key = with_key(second_key).get(KEYS)

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json() == throttled(45)
    assert headers(answers[2]) == ("2", "0", "45")
    assert other_key.status_code == 200


@override_settings(KONTOR_API_THROTTLE=limits(user="2/min"))
def test_requests_are_limited_per_signed_in_user(organization, owner, member_of):
    from tenants.choices import Role

    other = member_of(organization, Role.ADMIN)
    owner_client, other_client = APIClient(), APIClient()
    owner_client.force_login(owner)
    other_client.force_login(other)

    answers = [owner_client.get(KEYS) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert other_client.get(KEYS).status_code == 200


@override_settings(KONTOR_API_THROTTLE=limits(auth_failures="5/10min"))
def test_guessing_api_keys_is_refused_per_address(organization, owner):
    token = key_token(organization, owner, "ERP")
    prefix = token.split("_")[1]

    guesses = [with_key(f"ktr_{prefix}_guess{n}", "203.0.113.50").get(KEYS) for n in range(8)]
    right_key_same_address = with_key(token, "203.0.113.50").get(KEYS)
    right_key_elsewhere = with_key(token, "198.51.100.31").get(KEYS)

    assert [guess.status_code for guess in guesses] == [401] * 5 + [429] * 3
    assert guesses[0].json()["code"] == "authentication_failed"
    assert guesses[5].json() == throttled(585)  # the 10-minute window that began at 09:00 ends at 09:10
    assert guesses[5]["Retry-After"] == "585"
    assert headers(guesses[4]) == ("5", "0", "585")
    assert right_key_same_address.status_code == 429
    assert right_key_elsewhere.status_code == 200


@override_settings(KONTOR_API_THROTTLE=limits(anon="1/min"))
def test_the_api_serves_unthrottled_while_the_cache_is_down():
    down = {"default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": f"redis://127.0.0.1:{closed_port()}/0"}}
    with override_settings(CACHES=down):
        answers = [APIClient(REMOTE_ADDR="198.51.100.13").get(CATALOG) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]


@override_settings(KONTOR_API_THROTTLE=limits(api_key=None, auth_failures="5/10min"))
def test_guessing_is_refused_per_address_also_without_a_per_key_limit(organization, owner):
    token = key_token(organization, owner, "ERP")
    prefix = token.split("_")[1]

    guesses = [with_key(f"ktr_{prefix}_guess{n}", "203.0.113.51").get(KEYS) for n in range(6)]
    right_key_same_address = with_key(token, "203.0.113.51").get(KEYS)
    right_key_elsewhere = with_key(token, "198.51.100.32").get(KEYS)

    assert [guess.status_code for guess in guesses] == [401] * 5 + [429]
    assert (right_key_same_address.status_code, right_key_same_address.json()) == (429, throttled(585))
    assert right_key_elsewhere.status_code == 200


@override_settings(KONTOR_API_THROTTLE=limits(api_key="10/min", auth_failures="5/10min"))
def test_a_key_request_counts_its_hit_and_reads_the_failures_in_one_round_trip(organization, owner, monkeypatch):
    """The failure count of the address is read in the pipeline that counts the key's hit: one round trip to the
    cache per key-authenticated request, and the key's hit counted once."""
    import redis.connection

    token = key_token(organization, owner, "ERP")
    with_key(token).get(KEYS)  # the first request of the process may open the cache's connection
    sent: list[bytes] = []
    real_send = redis.connection.AbstractConnection.send_packed_command

    def counting_send(connection, command, check_health=True):  # type: ignore[no-untyped-def]
        sent.append(command)
        return real_send(connection, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting_send)
    answer = with_key(token).get(KEYS)

    assert answer.status_code == 200
    assert len(sent) == 1
    assert headers(answer) == ("10", "8", "45")
