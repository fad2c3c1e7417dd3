"""The meta-test: every API route is tenant-scoped or explicitly public, account-only or operator-only; and
every organization-scoped route answers another organization's member with 404 and changes nothing."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from portal.api.access import Access, OrganizationScopedAPIView, PublicAPIView
from portal.api.routes import api_routes, unscoped_api_routes
from tenants.choices import Role
from tenants.permissions import Action


class ForgottenView(APIView):
    """A view someone added without deciding who may reach it."""

    def get(self, request):
        return Response({})


class MisroutedScopedView(OrganizationScopedAPIView):
    required_actions = {"get": Action.ORGANIZATION_VIEW}

    def get(self, request, **kwargs):
        return Response({})


class LyingView(PublicAPIView):
    access = Access.ORGANIZATION  # claims to be scoped but never resolves the organization


def test_every_registered_api_route_is_scoped_or_explicitly_marked():
    assert unscoped_api_routes() == []


def test_the_walk_sees_the_known_routes():
    paths = {route.path for route in api_routes()}

    assert {
        "api/v1/schema/",
        "api/v1/me/",
        "api/v1/organizations/<slug:organization_slug>/members/",
        "api/v1/organizations/<slug:organization_slug>/audit-events/",
        "api/v1/ops/audit-events/",
    } <= paths


def test_an_unmarked_view_is_reported():
    patterns = [path("api/v1/", include([path("forgotten/", ForgottenView.as_view())]))]

    assert unscoped_api_routes(patterns) == [
        "api/v1/forgotten/: the view declares no access (inherit from a base in portal.api.access)"
    ]


def test_a_scoped_view_without_the_organization_in_its_url_is_reported():
    patterns = [path("api/v1/things/", MisroutedScopedView.as_view()), path("api/v1/lies/", LyingView.as_view())]

    assert unscoped_api_routes(patterns) == [
        "api/v1/things/: organization-scoped but the URL does not name the organization",
        "api/v1/lies/: marked organization-scoped but does not resolve the organization",
    ]


urlpatterns = [
    path("", include("portal.urls")),
    path("api/v1/forgotten/", ForgottenView.as_view()),
]


@override_settings(ROOT_URLCONF=__name__)
def test_system_check_fails_when_an_unscoped_view_is_registered():
    with pytest.raises(SystemCheckError, match=r"kontor\.E001.*api/v1/forgotten/"):
        call_command("check")


def _fill(route_path: str, organization_slug: str) -> str:
    filled = route_path.replace("<slug:organization_slug>", organization_slug)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", filled)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"tenants", "catalog", "billing"}
    }


ORGANIZATION_ROUTES = [
    pytest.param(route, method, id=f"{method} {route.path}")
    for route in api_routes()
    if route.access == Access.ORGANIZATION
    for method in route.methods
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), ORGANIZATION_ROUTES)
def test_another_organizations_route_answers_404_like_a_missing_one(
    route, method, organization, other_organization, member_of
):
    outsider = member_of(other_organization, Role.OWNER)
    client = APIClient()  # CSRF is not the subject here: a foreign organization must be a 404 past it
    client.force_login(outsider)
    before = _row_counts()

    foreign = client.generic(method, _fill(route.path, organization.slug), data="{}", content_type="application/json")
    missing = client.generic(
        method, _fill(route.path, "no-such-organization"), data="{}", content_type="application/json"
    )

    assert (foreign.status_code, foreign.json()) == (
        404,
        {"detail": "Not found.", "code": "not_found", "fields": {}},
    )
    assert (missing.status_code, missing.json()) == (foreign.status_code, foreign.json())
    assert _row_counts() == before


NON_PUBLIC_ROUTES = [
    pytest.param(route, method, id=f"{method} {route.path}")
    for route in api_routes()
    if route.access in {Access.ORGANIZATION, Access.ACCOUNT, Access.OPERATOR}
    for method in route.methods
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), NON_PUBLIC_ROUTES)
def test_non_public_routes_refuse_anonymous_callers(route, method, organization, api_client):
    response = api_client.generic(method, _fill(route.path, organization.slug))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
        "fields": {},
    }


OPERATOR_ROUTES = [
    pytest.param(route, method, id=f"{method} {route.path}")
    for route in api_routes()
    if route.access == Access.OPERATOR
    for method in route.methods
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), OPERATOR_ROUTES)
def test_operator_routes_refuse_customers(route, method, organization, owner, client_for):
    response = client_for(owner).generic(method, _fill(route.path, organization.slug))

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
