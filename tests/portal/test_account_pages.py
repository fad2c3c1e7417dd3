"""allauth's account pages never offer the closed open sign-up; they point new customers to the company sign-up."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tenants.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password/reset/"])
def test_account_pages_do_not_link_to_the_closed_sign_up(path):
    page = Client().get(path).content.decode()

    assert 'href="/accounts/signup/"' not in page
    assert "Sign Up Closed" not in page


def test_the_login_page_points_to_the_company_sign_up():
    page = Client().get("/accounts/login/").content.decode()

    assert '<a href="/signup/">' in page
    assert "Sign up your company" in page


def test_allauth_email_links_use_the_site_url(settings, owner):
    settings.SITE_URL = "http://kontor.test:8123"

    Client().post("/accounts/password/reset/", {"email": owner.email})
    Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})

    reset, unknown = OutgoingEmail.objects.order_by("id")
    [link] = [link for link in re.findall(r"https?://\S+", reset.body) if "/password/reset/key/" in link]
    assert link.startswith("http://kontor.test:8123/accounts/password/reset/key/")
    assert "http://kontor.test:8123/signup/" in unknown.body
    assert "/accounts/signup/" not in unknown.body
    assert Client().get(link.removeprefix("http://kontor.test:8123")).status_code in (200, 302)
