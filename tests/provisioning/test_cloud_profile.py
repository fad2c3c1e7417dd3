"""The NGC API key: encrypted at rest, never returned, never in the audit log; it reaches the server's user data."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from provisioning.models import CloudProfile
from tenants.choices import Role
from tenants.models import AuditEvent, Membership

pytestmark = pytest.mark.django_db
KEY = "nvapi-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"


def owner_client(organization):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(organization).get(role=Role.OWNER).user)
    return client


def test_the_key_is_stored_encrypted_and_never_returned(organization, owner):
    client = owner_client(organization)

    put = client.put(
        "/api/v1/organizations/rheinwerk/cloud-profile/",
        {"ngc_api_key": KEY, "ssh_public_key": "ssh-ed25519 AAAAC3Nza jonas@laptop"},
        format="json",
    )
    get = client.get("/api/v1/organizations/rheinwerk/cloud-profile/")

    assert put.json() == get.json() == {"has_ngc_api_key": True, "ssh_public_key": "ssh-ed25519 AAAAC3Nza jonas@laptop"}
    stored = CloudProfile.objects.for_organization(organization).get()
    assert KEY not in stored.ngc_api_key_encrypted
    event = AuditEvent.objects.for_organization(organization).get(action="cloud_profile.updated")
    assert event.data == {"changed": ["ngc_api_key", "ssh_public_key"]}
    assert KEY not in str(AuditEvent.objects.unscoped().values_list("data", "target_label"))


def test_a_bad_ssh_key_is_refused_and_nothing_is_stored(organization, owner):
    response = owner_client(organization).put(
        "/api/v1/organizations/rheinwerk/cloud-profile/",
        {"ssh_public_key": "-----BEGIN PRIVATE KEY-----"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["ssh_public_key"]
    assert not CloudProfile.objects.for_organization(organization).exists()


def test_viewers_cannot_set_keys(organization, member_of):
    client = APIClient()
    client.force_authenticate(member_of(organization, Role.VIEWER))

    response = client.put("/api/v1/organizations/rheinwerk/cloud-profile/", {"ngc_api_key": KEY}, format="json")

    assert response.status_code == 403
    assert not CloudProfile.objects.for_organization(organization).exists()
