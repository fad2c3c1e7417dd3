"""Failed logins are limited per client address and per (address, account): a stranger's wrong passwords lock out
only the stranger, never the account's owner signing in from elsewhere; a cache that is down never stops a login."""

from __future__ import annotations

import socket

import pytest
from django.test import Client, override_settings

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMITS = {"login_failed": "20/m/ip,3/5m/key"}
TOO_MANY_EN = "Too many failed sign-in attempts from your network. Please try again in a few minutes."
TOO_MANY_DE = (
    "Zu viele fehlgeschlagene Anmeldeversuche aus Ihrem Netzwerk. Bitte versuchen Sie es in einigen Minuten erneut."
)


def login(ip: str, email: str, password: str, language: str = "en"):  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)
    return client, client.post("/accounts/login/", {"login": email, "password": password})


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_a_strangers_failed_logins_do_not_lock_the_owner_out(fresh_rate_limits):
    owner = UserFactory.create(email="owner@rheinwerk.example")

    stranger = [login("203.0.113.66", owner.email, f"wrong-password-{n}")[1] for n in range(4)]
    owner_client, owner_answer = login("198.51.100.7", owner.email, PASSWORD)
    _client, stranger_with_right_password = login("203.0.113.66", owner.email, PASSWORD)

    assert [answer.status_code for answer in stranger] == [200, 200, 200, 200]
    assert TOO_MANY_EN not in stranger[2].content.decode()
    assert TOO_MANY_EN in stranger[3].content.decode()
    assert owner_answer.status_code == 302
    assert owner_client.session["_auth_user_id"] == str(owner.pk)
    assert TOO_MANY_EN in stranger_with_right_password.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_the_refusal_is_in_the_users_language(fresh_rate_limits):
    owner = UserFactory.create(email="inhaber@rheinwerk.example")
    answers = [login("203.0.113.67", owner.email, f"falsches-passwort-{n}", "de")[1] for n in range(4)]
    assert TOO_MANY_DE in answers[3].content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,100/5m/key"})
def test_one_address_is_limited_across_accounts(fresh_rate_limits):
    users = [UserFactory.create(email=f"user{n}@rheinwerk.example") for n in range(4)]
    answers = [login("203.0.113.68", user.email, "wrong-password-x")[1] for user in users]
    _client, other_address = login("198.51.100.8", users[3].email, PASSWORD)

    assert [TOO_MANY_EN in answer.content.decode() for answer in answers] == [False, False, False, True]
    assert other_address.status_code == 302


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_login_works_while_the_cache_is_down(caplog):
    owner = UserFactory.create(email="owner-cache-down@rheinwerk.example")
    down = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=down, ACCOUNT_RATE_LIMITS=LIMITS):
        _wrong_client, wrong = login("203.0.113.69", owner.email, "wrong-password-1")
        owner_client, right = login("203.0.113.69", owner.email, PASSWORD)

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert owner_client.session["_auth_user_id"] == str(owner.pk)
    assert any("cache.unavailable" in record.getMessage() for record in caplog.records)
