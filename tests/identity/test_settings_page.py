"""The sign-in settings page: owners only; what it shows and what it changes."""

from __future__ import annotations

import pytest

from identity.models import EmailDomain, GroupRoleMapping
from tenants.choices import Role
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_owners_add_a_domain_and_a_mapping(client, organization, owner):
    client.force_login(owner)
    added = client.post("/orgs/rheinwerk/sign-in/", {"step": "domain", "domain-domain": "rheinwerk.example"})
    assert (added.status_code, added["Location"]) == (302, "/orgs/rheinwerk/sign-in/")
    domain = EmailDomain.objects.for_organization(organization).get()
    page = client.get("/orgs/rheinwerk/sign-in/").content.decode()
    assert f"kontor-verification={domain.token}" in page
    assert "http://testserver/accounts/oidc/org-rheinwerk/login/callback/" in page

    mapped = client.post(
        "/orgs/rheinwerk/sign-in/", {"step": "mapping", "mapping-group": "ops", "mapping-role": "viewer"}
    )
    assert mapped.status_code == 302
    assert list(GroupRoleMapping.objects.for_organization(organization).values_list("group", "role")) == [
        ("ops", "viewer")
    ]


def test_a_mapping_to_an_unknown_role_is_refused_on_the_page(client, organization, owner):
    client.force_login(owner)
    response = client.post("/orgs/rheinwerk/sign-in/", {"step": "mapping", "mapping-group": "x", "mapping-role": "god"})
    assert response.status_code == 200
    assert "Select a valid choice. god is not one of the available choices." in response.content.decode()
    assert GroupRoleMapping.objects.for_organization(organization).exists() is False


def test_the_scim_token_is_shown_once(client, organization, owner):
    client.force_login(owner)
    response = client.post("/orgs/rheinwerk/sign-in/", {"step": "scim-token"})
    assert response.status_code == 200
    assert 'id="scim-token">scim_' in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert AuditEvent.objects.for_organization(organization).filter(action="scim_token.created").count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER])
def test_only_owners_open_it(client, organization, member_of, role):
    client.force_login(member_of(organization, role))
    assert client.get("/orgs/rheinwerk/sign-in/").status_code == 403
    assert client.post("/orgs/rheinwerk/sign-in/", {"step": "domain", "domain-domain": "x.example"}).status_code == 403
    assert EmailDomain.objects.for_organization(organization).exists() is False


def test_another_organizations_page_is_404(client, other_organization, owner):
    client.force_login(owner)
    assert client.get("/orgs/delft/sign-in/").status_code == 404
    assert client.post("/orgs/delft/sign-in/", {"step": "domain", "domain-domain": "x.example"}).status_code == 404
    assert EmailDomain.objects.for_organization(other_organization).exists() is False
