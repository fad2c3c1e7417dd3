"""The GDPR pages: the owner's data download and deleting one's own account."""

from __future__ import annotations

import json

import pytest

from tenants.choices import Role
from tenants.models import AuditEvent, Membership, User

pytestmark = pytest.mark.django_db


def test_the_owner_downloads_the_organizations_data_from_the_dashboard(client, organization, owner):
    client.force_login(owner)

    dashboard = client.get("/dashboard/").content.decode()
    response = client.post("/orgs/rheinwerk/export/")

    assert 'action="/orgs/rheinwerk/export/"' in dashboard
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kontor-rheinwerk-')
    assert json.loads(response.content)["organization"]["slug"] == "rheinwerk"


def test_an_admin_may_not_download_the_data(client, organization, member_of):
    client.force_login(member_of(organization, Role.ADMIN))

    assert client.post("/orgs/rheinwerk/export/").status_code == 403
    assert not AuditEvent.objects.for_organization(organization).filter(action="organization.exported").exists()


def test_a_member_deletes_their_account(client, organization, member_of):
    anna = member_of(organization, Role.MEMBER)
    client.force_login(anna)

    wrong = client.post("/account/delete/", {"password": "nope"})
    right = client.post("/account/delete/", {"password": "correct-horse-battery-staple"})

    assert "The password is not correct." in wrong.content.decode()
    assert (right.status_code, right.url) == (302, "/")
    anna.refresh_from_db()
    assert (anna.is_active, anna.email) == (False, f"erased-user-{anna.pk}@erased.invalid")
    assert client.get("/dashboard/").status_code == 302  # signed out


def test_the_last_owner_is_told_to_hand_over_first(client, organization, owner):
    client.force_login(owner)

    response = client.post("/account/delete/", {"password": "correct-horse-battery-staple"})

    assert "You are the only owner of Rheinwerk Robotics GmbH" in response.content.decode()
    assert User.objects.get(pk=owner.pk).is_active is True
    assert Membership.objects.for_organization(organization).filter(user=owner).exists()
