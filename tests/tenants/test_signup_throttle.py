"""Sign-up is throttled per client address and per owner e-mail domain: a 429 with Retry-After, nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tenants.models import Organization, User
from tests.tenants.test_web import ACCOUNT, COMPANY, documents_in_force  # noqa: F401  # the fixture

pytestmark = pytest.mark.django_db
THROTTLED = {"detail": "Request was throttled. Expected available in 3600 seconds.", "code": "throttled", "fields": {}}


@pytest.fixture(autouse=True)
def fresh_counts(fresh_rate_limits):
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        yield


def signup(email: str, ip: str):
    # Everything but the e-mail is missing: each attempt is refused by validation, and still counted.
    return APIClient().post("/api/v1/signup/", {"email": email}, format="json", REMOTE_ADDR=ip)


@override_settings(KONTOR_SIGNUP_THROTTLE={"per_ip": "2/hour", "per_domain": "1000/hour"})
def test_sign_ups_from_one_address_are_throttled():
    before = (Organization.objects.count(), User.objects.count())

    answers = [signup(f"owner{n}@example{n}.example", "198.51.100.7") for n in range(3)]
    elsewhere = signup("owner@example9.example", "198.51.100.8")

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[2].json() == THROTTLED
    assert answers[2]["Retry-After"] == "3600"
    assert elsewhere.status_code == 400
    assert (Organization.objects.count(), User.objects.count()) == before


@override_settings(KONTOR_SIGNUP_THROTTLE={"per_ip": "1000/hour", "per_domain": "2/hour"})
def test_sign_ups_for_one_email_domain_are_throttled_from_any_address():
    answers = [
        signup("a@throttle-test.example", "198.51.100.21"),
        signup("b@throttle-test.example", "198.51.100.22"),
        signup("C@Throttle-Test.example", "198.51.100.23"),
    ]
    other_domain = signup("a@other-throttle-test.example", "198.51.100.24")

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[2].json() == THROTTLED
    assert answers[2]["Retry-After"] == "3600"
    assert other_domain.status_code == 400


WEB_THROTTLED_EN = "Too many sign-ups from your network or for this e-mail domain. Please try again in 60 minutes."
WEB_THROTTLED_DE = (
    "Zu viele Registrierungen aus Ihrem Netzwerk oder für diese E-Mail-Domain. "
    "Bitte versuchen Sie es in 60 Minuten erneut."
)


def web_signup(email: str, ip: str, language: str = "en"):  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)
    assert client.post("/signup/", COMPANY).status_code == 302
    # The passwords differ: each attempt is refused by the form, and still counted.
    return client.post("/signup/account/", {**ACCOUNT, "email": email, "password_confirm": "something else 2026"})


@override_settings(KONTOR_SIGNUP_THROTTLE={"per_ip": "2/hour", "per_domain": "1000/hour"})
@pytest.mark.usefixtures("documents_in_force")
def test_web_sign_ups_from_one_address_are_throttled_and_share_the_apis_count():
    before = (Organization.objects.count(), User.objects.count())

    api = signup("owner@example0.example", "198.51.100.7")
    web = [web_signup(f"owner{n}@example{n}.example", "198.51.100.7") for n in (1, 2)]
    elsewhere = web_signup("owner@example9.example", "198.51.100.8", "de")

    assert [api.status_code, *(answer.status_code for answer in web)] == [400, 200, 429]
    assert WEB_THROTTLED_EN not in web[0].content.decode()
    assert WEB_THROTTLED_EN in web[1].content.decode()
    assert web[1]["Retry-After"] == "3600"
    assert elsewhere.status_code == 200
    assert (Organization.objects.count(), User.objects.count()) == before


@override_settings(KONTOR_SIGNUP_THROTTLE={"per_ip": "1000/hour", "per_domain": "1/hour"})
@pytest.mark.usefixtures("documents_in_force")
def test_web_sign_ups_for_one_email_domain_are_throttled_in_the_users_language():
    first = web_signup("a@throttle-test.example", "198.51.100.21", "de")
    second = web_signup("b@Throttle-Test.example", "198.51.100.22", "de")
    other_domain = web_signup("a@other-throttle-test.example", "198.51.100.23", "de")

    assert [first.status_code, second.status_code, other_domain.status_code] == [200, 429, 200]
    assert WEB_THROTTLED_DE in second.content.decode()
