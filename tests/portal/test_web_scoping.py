"""The web's meta-test: every portal page declares who may open it, a page whose URL names an organization
resolves it through the caller's memberships, and every such page answers another organization's member with
404 for every method it accepts, like a missing organization, and changes no table."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST

from portal.web.pages import ALL_METHODS, Page, organization_pages, portal_pages, unscoped_portal_pages
from reservations.models import Reservation
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership, Organization
from tenants.permissions import Action, Scope
from tenants.services import api_key_create, invitation_create
from tenants.web.access import (
    PAGE_ACCESS_ATTRIBUTE,
    OrganizationAccess,
    PageAccess,
    account_page,
    organization_view,
    public_page,
)
from tests.billing.usage import reservation
from tests.reservations.conftest import catalog, customer, make_quote, small_inventory

# The booked world of the reservation tests, for the pages that name a quote or a reservation.
__all__ = ["catalog", "customer", "make_quote", "reservation", "small_inventory"]


def forgotten(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """A page someone added without deciding who may open it."""
    return HttpResponse("")


def about(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@public_page
def public_about_an_organization(request: HttpRequest, organization_slug: str) -> HttpResponse:
    return HttpResponse(organization_slug)


@account_page
def account_about_an_organization(request: HttpRequest, org: str) -> HttpResponse:
    return HttpResponse(org)


@require_GET
def lying(request: HttpRequest, organization_slug: str) -> HttpResponse:
    return HttpResponse("")


setattr(lying, PAGE_ACCESS_ATTRIBUTE, PageAccess.ORGANIZATION)  # claims the check, never makes it


@require_POST
@organization_view(Action.ORGANIZATION_VIEW)
def misnamed(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return HttpResponse("")


@require_GET
@organization_view(Action.ORGANIZATION_VIEW)
def proper(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return HttpResponse("")


def test_every_portal_page_declares_its_access_and_scopes_its_organization():
    assert unscoped_portal_pages() == []


def test_the_walk_sees_the_portal_pages_and_leaves_out_the_other_trees():
    pages = {page.path: (page.access, page.methods) for page in portal_pages()}

    assert {
        "": (PageAccess.PUBLIC, ["DELETE", "GET", "PATCH", "POST", "PUT"]),
        "dashboard/": (PageAccess.ACCOUNT, ["DELETE", "GET", "PATCH", "POST", "PUT"]),
        "catalog/<slug:item_slug>/quote/": (PageAccess.ACCOUNT, ["POST"]),
        "orgs/<slug:organization_slug>/audit/": (PageAccess.ORGANIZATION, ["GET"]),
        "orgs/<slug:organization_slug>/members/": (PageAccess.ORGANIZATION, ["GET"]),
        "orgs/<slug:organization_slug>/api-keys/": (PageAccess.ORGANIZATION, ["GET", "POST"]),
        "orgs/<slug:organization_slug>/quotes/<int:quote_id>/": (PageAccess.ORGANIZATION, ["GET"]),
        "orgs/<slug:organization_slug>/reservations/book/": (PageAccess.ORGANIZATION, ["POST"]),
        "orgs/<slug:organization_slug>/quota/": (PageAccess.ORGANIZATION, ["GET", "POST"]),
        "orgs/<slug:organization_slug>/invoices/<int:invoice_id>/<str:kind>/": (PageAccess.ORGANIZATION, ["GET"]),
        "orgs/<slug:organization_slug>/spend/": (PageAccess.ORGANIZATION, ["GET", "POST"]),
    }.items() <= pages.items()
    assert [page for page in pages if page.startswith(("api/", "^api/", "ops/", "accounts/", "i18n/"))] == []
    assert {page.path for page in organization_pages()} == {
        page for page in pages if "<slug:organization_slug>" in page
    }


def test_pages_that_do_not_scope_their_organization_are_reported():
    patterns = [
        path("orgs/<slug:organization_slug>/forgotten/", forgotten),
        path("orgs/<slug:organization_slug>/public/", public_about_an_organization),
        path("orgs/<slug:org>/account/", account_about_an_organization),
        path("orgs/<slug:organization_slug>/lying/", lying),
        path("orgs/<slug:org>/misnamed/", misnamed),
        path("orgs/<slug:organization_slug>/proper/", proper),
        path("api/v1/<slug:organization_slug>/", forgotten),
        path("ops/<slug:organization_slug>/", forgotten),
    ]

    assert unscoped_portal_pages(patterns) == [
        "orgs/<slug:organization_slug>/forgotten/: the page declares no access "
        "(decorate it with organization_view, account_page or public_page from tenants.web.access)",
        "orgs/<slug:organization_slug>/public/: names an organization but is declared public; use organization_view",
        "orgs/<slug:org>/account/: names an organization but is declared account; use organization_view",
        "orgs/<slug:organization_slug>/lying/: marked as an organization page but does not resolve the organization "
        "(organization_view)",
        "orgs/<slug:org>/misnamed/: an organization page but the URL does not name the organization as "
        "<slug:organization_slug>",
    ]


def test_an_undeclared_page_without_an_organization_is_reported_too():
    patterns = [path("", include([path("about/", about), path("ok/", public_page(lambda request: HttpResponse()))]))]

    assert unscoped_portal_pages(patterns) == [
        "about/: the page declares no access "
        "(decorate it with organization_view, account_page or public_page from tenants.web.access)"
    ]


urlpatterns = [
    path("orgs/<slug:organization_slug>/lying/", lying),
    path("", include("portal.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_system_check_fails_when_a_page_does_not_resolve_its_organization():
    with pytest.raises(SystemCheckError, match=r"kontor\.E002.*orgs/<slug:organization_slug>/lying/"):
        call_command("check")


def test_system_check_passes_on_the_real_pages():
    call_command("check")


def _row_counts() -> dict[str, int]:
    """Every table's row count, in one query."""
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _fill(page_path: str, organization_slug: str, ids: dict[str, int]) -> str:
    """The page's URL for ``organization_slug``; the victim's own objects where the URL names one."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if name == "organization_slug":
            return organization_slug
        if name in ids:
            return str(ids[name])
        return "1" if converter == "int" else "pdf"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, page_path)


FORM = "application/x-www-form-urlencoded"

ORGANIZATION_PAGE_METHODS = [
    pytest.param(page, method, id=f"{method} {page.path}") for page in organization_pages() for method in ALL_METHODS
]


def _victims_objects(request: pytest.FixtureRequest, page: Page, method: str) -> tuple[Organization, dict[str, int]]:
    """The organization under attack and its own objects for the ids the page's URL names: a page that looked the
    object up without the organization would find it."""
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", page.path))
    booked = method in page.methods and bool(names & {"quote_id", "reservation_id"})
    if not booked:
        request.getfixturevalue("owner")
    organization: Organization = request.getfixturevalue("customer" if booked else "organization")
    owner = Membership.objects.for_organization(organization).get(role=Role.OWNER).user
    invitation = invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="a@example.de",
        role="member",
        may_manage_owners=True,
    )
    api_key, _token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.CATALOG_READ]
    )
    ids = {
        "membership_id": Membership.objects.for_organization(organization).get(user=owner).pk,
        "invitation_id": invitation.pk,
        "api_key_id": api_key.pk,
    }
    if booked:
        booking: Reservation = request.getfixturevalue("reservation")
        ids |= {"reservation_id": booking.pk, "quote_id": booking.quote_id}
    return organization, ids


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "method"), ORGANIZATION_PAGE_METHODS)
def test_another_organizations_page_answers_404_like_a_missing_one(
    page, method, request, client, other_organization, member_of
):
    organization, ids = _victims_objects(request, page, method)
    data = urlencode(
        {"email": "b@example.de", "role": "viewer", "name": "CI", "scopes": ["catalog:read"], "confirm": "on"},
        doseq=True,
    )
    client.force_login(member_of(other_organization, Role.OWNER))
    before = _row_counts()

    foreign = client.generic(method, _fill(page.path, organization.slug, ids), data, FORM)
    missing = client.generic(method, _fill(page.path, "no-such-organization", ids), data, FORM)

    expected = 404 if method in page.methods else 405
    assert (foreign.status_code, missing.status_code) == (expected, expected)
    if expected == 404:
        assert [t.name for t in foreign.templates][:1] == [t.name for t in missing.templates][:1] == ["404.html"]
        assert "Page not found" in foreign.content.decode()
    assert _row_counts() == before


ORGANIZATION_PAGE_ACCEPTED_METHODS = [
    pytest.param(page, method, id=f"{method} {page.path}") for page in organization_pages() for method in page.methods
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "method"), ORGANIZATION_PAGE_ACCEPTED_METHODS)
def test_organization_pages_send_anonymous_visitors_to_sign_in(page, method, client, organization):
    url = _fill(page.path, organization.slug, {})
    before = _row_counts()

    response = client.generic(method, url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    assert _row_counts() == before
