"""The cloud access page: SSH keys with their fingerprints, the NGC key masked, allowed networks with the broad-network
confirmation; refusals shown on the page with nothing stored."""

from __future__ import annotations

import pytest
from django.test import Client

from provisioning.models import AllowedCidr, CloudProfile
from tenants.choices import Role
from tenants.models import SshKey
from tests.provisioning import keys

pytestmark = pytest.mark.django_db
PAGE = "/orgs/rheinwerk/cloud-access/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_owner_adds_a_shared_key_the_ngc_key_and_a_network(organization, owner):
    client = browser(owner)
    public_key = keys.ed25519_key()

    added = client.post(f"{PAGE}ssh-keys/", {"name": "Laptop", "public_key": public_key, "shared": "on"})
    ngc = client.post(f"{PAGE}ngc-api-key/", {"ngc_api_key": "nvapi-" + "q" * 56 + "Ab12"})
    refused = client.post(f"{PAGE}networks/", {"cidr": "0.0.0.0/0"})
    confirmed = client.post(f"{PAGE}networks/", {"cidr": "0.0.0.0/0", "confirm_broad": "on"})
    page = client.get(PAGE).content.decode()

    assert (added.status_code, ngc.status_code, refused.status_code, confirmed.status_code) == (302, 302, 400, 302)
    assert "Confirm that you want this." in refused.content.decode()
    assert keys.fingerprint(public_key) in page
    assert "••••••••Ab12" in page
    assert "nvapi-" not in page
    assert "<code>0.0.0.0/0</code>" in page
    assert SshKey.objects.for_organization(organization).get().user is None
    assert AllowedCidr.objects.for_organization(organization).get().broad_confirmed is True
    assert CloudProfile.objects.for_organization(organization).get().ngc_api_key_last4 == "Ab12"


def test_a_pasted_private_key_is_refused_never_stored_and_not_sent_back(organization, owner):
    secret = keys.private_key()

    response = browser(owner).post(f"{PAGE}ssh-keys/", {"name": "Oops", "public_key": secret})

    assert response.status_code == 400
    body = response.content.decode()
    assert "This is a private key." in body
    assert "PRIVATE KEY" not in body
    assert secret.splitlines()[1] not in body
    assert not SshKey.objects.for_organization(organization).exists()


def test_a_member_adds_an_own_key_but_may_not_share_one_or_set_the_ngc_key(organization, member_of):
    member = member_of(organization, Role.MEMBER)
    client = browser(member)

    shared = client.post(f"{PAGE}ssh-keys/", {"name": "Shared", "public_key": keys.ed25519_key(), "shared": "on"})
    ngc = client.post(f"{PAGE}ngc-api-key/", {"ngc_api_key": "nvapi-" + "q" * 60})
    own = client.post(f"{PAGE}ssh-keys/", {"name": "Mine", "public_key": keys.ecdsa_key()})

    assert shared.status_code == 400
    assert "Only those who manage the organization&#x27;s cloud access can share a key." in shared.content.decode()
    assert ngc.status_code == 403
    assert own.status_code == 302
    assert list(SshKey.objects.for_organization(organization).values_list("name", "user")) == [("Mine", member.pk)]
    assert not CloudProfile.objects.for_organization(organization).exists()


def test_another_organizations_page_is_a_404(organization, other_organization, member_of):
    response = browser(member_of(other_organization, Role.OWNER)).get(PAGE)

    assert response.status_code == 404
