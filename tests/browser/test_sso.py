"""Single sign-on in Chromium: "Sign in with your company" after typing the e-mail address, the authorization-code
flow with PKCE at a real OpenID Connect provider (django-oauth-toolkit, its own process on loopback), and back into
the portal with the role the provider's groups map to."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, IDP_PASSWORD, OidcProvider, start_oidc_provider, stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser_oidc_provider(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = start_oidc_provider(
        tmp_path_factory.mktemp("idp"), [f"{live_server.url}/accounts/oidc/org-rheinwerk/login/callback/"]
    )
    yield provider
    stop(provider)


@pytest.fixture
def connected_organization(transactional_db: None, browser_oidc_provider: OidcProvider) -> None:
    from identity import services
    from identity.choices import DomainStatus
    from identity.models import EmailDomain
    from tenants.audit import Actor
    from tenants.choices import Role
    from tests.factories import MembershipFactory, OrganizationFactory

    organization = OrganizationFactory.create(legal_name="Rheinwerk Robotics GmbH", slug="rheinwerk")
    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    EmailDomain.objects.create(
        organization=organization,
        domain="rheinwerk.example",
        token="t",
        status=DomainStatus.VERIFIED,
        verified_at=timezone.now(),
    )
    actor = Actor.for_user(owner)
    services.identity_provider_configure(
        actor=actor,
        organization=organization,
        issuer=browser_oidc_provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    services.group_role_mapping_set(actor=actor, organization=organization, group="gpu-admins", role=Role.ADMIN)


def test_sign_in_with_your_company_through_the_providers_login_page(
    live_server: LiveServer,
    connected_organization: None,
    browser_oidc_provider: OidcProvider,
    page: Page,
    monitor: PageMonitor,
) -> None:
    from tenants.models import Membership, User

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with your company").click()
    page.get_by_label("Work e-mail address").fill("ada@rheinwerk.example")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue to Rheinwerk Robotics GmbH").click()

    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    at_provider = urlsplit(page.url)
    assert (at_provider.port, at_provider.path) == (browser_oidc_provider.port, "/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_text("Rheinwerk Robotics GmbH").first).to_be_visible()
    user = User.objects.get(email="ada@rheinwerk.example")
    assert Membership.objects.unscoped().get(user=user).role == "admin"
    monitor.assert_clean()
