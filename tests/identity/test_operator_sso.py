"""Operators sign in through the cloud operator's own OpenID Connect provider (a real django-oauth-toolkit provider
on loopback); the operator console still asks for the second factor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from tenants.models import User
from tests.factories import OperatorFactory
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, OidcProvider, start_oidc_provider, stop
from tests.identity.test_oidc import authorize_at_provider

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/oidc/kontor-operators/login/callback/"


@pytest.fixture(scope="module")
def operators_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = start_oidc_provider(tmp_path_factory.mktemp("operator-idp"), [CALLBACK])
    yield provider
    stop(provider)


@pytest.fixture
def configured(settings: Any, operators_provider: OidcProvider) -> OidcProvider:
    settings.KONTOR_OPERATOR_OIDC_ISSUER = operators_provider.issuer
    settings.KONTOR_OPERATOR_OIDC_CLIENT_ID = CLIENT_ID
    settings.KONTOR_OPERATOR_OIDC_CLIENT_SECRET = CLIENT_SECRET
    return operators_provider


def leave_for_provider(client: Client) -> str:
    confirm = client.get("/accounts/oidc/kontor-operators/login/")
    assert confirm.status_code == 200  # allauth's "continue to the provider" page (sign-in starts with a POST)
    leave = client.post("/accounts/oidc/kontor-operators/login/", {"process": "login"})
    assert leave.status_code == 302
    query = parse_qs(urlsplit(leave["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["nonce"][0]) == 32
    return str(leave["Location"])


def test_an_operator_signs_in_at_the_providers_page_and_still_needs_the_second_factor(
    configured: OidcProvider, client: Client
) -> None:
    operator = OperatorFactory.create(email="ada@rheinwerk.example")
    secret = generate_totp_secret()
    TOTP.activate(operator, secret)

    callback = authorize_at_provider(leave_for_provider(client), "ada")
    assert callback.startswith(f"{CALLBACK}?")
    back = client.get(callback.removeprefix("http://testserver"))

    assert (back.status_code, back["Location"]) == (302, "/accounts/2fa/authenticate/")
    assert client.get("/ops/").status_code == 302  # not in yet
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    passed = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert passed.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
    assert client.get("/ops/").status_code == 200


def test_a_person_who_is_not_an_operator_is_refused_and_no_account_is_made(
    configured: OidcProvider, client: Client
) -> None:
    callback = authorize_at_provider(leave_for_provider(client), "bob")

    refused = client.get(callback.removeprefix("http://testserver"))

    assert refused.status_code == 403
    assert b"bob@rheinwerk.example is not a Kontor operator." in refused.content
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="bob@rheinwerk.example").exists()


def test_without_settings_there_is_no_operator_provider(client: Client) -> None:
    assert client.post("/accounts/oidc/kontor-operators/login/", {"process": "login"}).status_code == 404
