"""Sign-up is throttled per client address and per owner e-mail domain: a 429 with Retry-After, nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from tenants.models import Organization, User

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
