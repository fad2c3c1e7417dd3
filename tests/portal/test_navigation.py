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


def current_links(html: str) -> list[str]:
    start = html.index('class="main-nav"')
    end = html.index("</nav>", start)
    return [part.split('"', 1)[0] for part in html[start:end].split('href="')[1:] if 'aria-current="page"' in part]


def test_usage_is_in_the_navigation_for_billing_roles_and_the_current_page_is_marked(client, organization, member_of):
    client.force_login(member_of(organization, Role.BILLING))

    spend = client.get("/orgs/rheinwerk/spend/").content.decode()
    usage = client.get("/orgs/rheinwerk/usage/")
    dashboard = client.get("/dashboard/").content.decode()

    assert nav_links(spend)[:5] == [
        "/dashboard/",
        "/orgs/rheinwerk/reservations/",
        "/orgs/rheinwerk/invoices/",
        "/orgs/rheinwerk/spend/",
        "/orgs/rheinwerk/usage/",
    ]
    assert current_links(spend) == ["/orgs/rheinwerk/spend/"]
    assert usage.status_code == 200
    assert current_links(usage.content.decode()) == ["/orgs/rheinwerk/usage/"]
    assert current_links(dashboard) == ["/dashboard/"]


def test_a_member_sees_neither_usage_nor_spend_and_a_reservation_page_marks_reservations(
    client, organization, member_of
):
    client.force_login(member_of(organization, Role.MEMBER))

    html = client.get("/orgs/rheinwerk/reservations/").content.decode()

    assert "/orgs/rheinwerk/usage/" not in nav_links(html)
    assert "/orgs/rheinwerk/spend/" not in nav_links(html)
    assert current_links(html) == ["/orgs/rheinwerk/reservations/"]
    assert client.get("/orgs/rheinwerk/usage/").status_code == 403
