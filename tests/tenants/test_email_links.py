"""Every link in every e-mail resolves to a page of the running server.

The first tests send the account e-mails (confirm the address, reset the password, an invitation) and follow their
links as the recipient would: a page (200) or a redirect to one (302), never a 404. The last one, run after the whole
suite (``after_all_emails``), takes every e-mail any test put into the outbox (``tests/conftest.py`` keeps them) and
checks that each link is on the site URL and names a view (links to a customer's server by its address, such as the
service URL, are not Kontor's pages and are left out) — the objects behind them are rolled back by then, so
following them would prove nothing.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve

from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import OutgoingEmail
from tenants.services.members import invitation_create
from tests import conftest

LINK = re.compile(r"https?://[^\s<>\"')]+")


def links(text: str) -> list[str]:
    return [link.rstrip(".,;:") for link in LINK.findall(text)]


def is_server_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def links_in_html(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in links(html)]


def on_site_path(link: str) -> str:
    site, parts = urlsplit(settings.SITE_URL), urlsplit(link)
    assert (parts.scheme, parts.netloc) == (site.scheme, site.netloc), link
    return parts.path


def follow(client: Client, link: str) -> int:
    path = on_site_path(link)
    resolve(path)
    response = client.get(path + (f"?{urlsplit(link).query}" if urlsplit(link).query else ""))
    return response.status_code


@pytest.mark.django_db
def test_the_confirmation_link_leads_to_the_dashboard(owner):
    EmailAddress.objects.filter(user=owner).update(verified=False)
    owner.set_password("correct horse battery staple")
    owner.save()
    Client().post("/accounts/login/", {"login": owner.email, "password": "correct horse battery staple"})
    email = OutgoingEmail.objects.filter(to=owner.email).latest("id")
    [link] = [link for link in links(email.body) if "/confirm-email/" in link]
    browser = Client()

    page = browser.get(on_site_path(link))
    confirmed = browser.post(on_site_path(link))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm your e-mail address" in html
    assert "Sign Up Closed" not in html
    assert "/accounts/signup/" not in html
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/accounts/login/?next=%2Fdashboard%2F"
    assert "Kontor" in email.body
    assert "example.com" not in email.body


@pytest.mark.django_db
def test_the_password_reset_link_opens_the_new_password_page(owner):
    Client().post("/accounts/password/reset/", {"email": owner.email})
    email = OutgoingEmail.objects.filter(to=owner.email).latest("id")
    [link] = [link for link in links(email.body) if "/password/reset/key/" in link]
    browser = Client()

    first = browser.get(on_site_path(link))
    second = browser.get(first["Location"])

    assert first.status_code == 302
    assert second.status_code == 200
    assert "example.com" not in email.body


@pytest.mark.django_db
def test_the_invitation_links_open_pages(organization, owner):
    invitation_create(
        actor=Actor.for_user(owner), organization=organization, email="new@rheinwerk.example", role=Role.MEMBER,
        may_manage_owners=True,
    )  # fmt: skip
    email = OutgoingEmail.objects.filter(to="new@rheinwerk.example").latest("id")
    found = links(email.body)

    assert found
    assert [follow(Client(), link) for link in found] == [200] * len(found)


def test_a_closed_sign_up_address_leads_to_the_company_sign_up(client):
    response = client.get("/accounts/signup/")

    assert (response.status_code, response["Location"]) == (302, "/signup/")


@pytest.mark.after_all_emails
def test_every_link_in_every_email_sent_by_the_suite_names_a_page_of_the_site():
    broken = []
    for site_url, template, body, html_body in conftest.SENT_EMAILS:
        site = urlsplit(site_url)  # the site URL when it was sent (some tests set their own)
        for link in links(body) + links_in_html(html_body):
            parts = urlsplit(link)
            if is_server_address(parts.hostname or ""):
                continue  # a customer's own server (the service URL in the running e-mail), not a page of Kontor
            if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                broken.append((template, link, "not on the site URL"))
                continue
            try:
                resolve(parts.path or "/")
            except Resolver404:
                broken.append((template, link, "no such page"))

    assert conftest.SENT_EMAILS  # the suite (or at least this file) sent e-mails
    assert broken == []
