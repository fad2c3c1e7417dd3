"""The main navigation leads to every page of the organization the caller may open, and to none it may not."""

from __future__ import annotations

import pytest

from tenants.choices import Role

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> list[str]:
    start = html.index('class="main-nav"')
    end = html.index("</nav>", start)
    return [part.split('"', 1)[0] for part in html[start:end].split('href="')[1:]]


def test_an_owner_finds_invoices_and_spend_in_the_navigation(client, organization, member_of):
    client.force_login(member_of(organization, Role.OWNER))

    links = nav_links(client.get("/dashboard/").content.decode())

    assert "/orgs/rheinwerk/invoices/" in links
    assert "/orgs/rheinwerk/spend/" in links
    for link in ("/orgs/rheinwerk/invoices/", "/orgs/rheinwerk/spend/"):
        assert client.get(link).status_code == 200


def test_a_viewer_sees_no_billing_links(client, organization, member_of):
    client.force_login(member_of(organization, Role.VIEWER))

    links = nav_links(client.get("/dashboard/").content.decode())

    assert "/orgs/rheinwerk/invoices/" not in links
    assert "/orgs/rheinwerk/spend/" not in links
    assert "/orgs/rheinwerk/reservations/" in links
