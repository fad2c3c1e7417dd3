"""The identity API: owners manage the identity provider (OIDC and SAML), domains, the sign-in policy, group
mappings and SCIM tokens; secrets never come back; bad input answers in the one error shape; other organizations'
rows are 404 and admins (and admins' API keys) are refused."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.secrets import decrypt_secret
from identity.choices import DomainStatus
from identity.models import EmailDomain, GroupRoleMapping, IdentityProvider, ScimToken
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Organization, User
from tenants.services.api_keys import api_key_create
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.identity.saml_idp import SamlIdp, self_signed_certificate
from tests.identity.test_oidc import json_server

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizations/rheinwerk/identity"


@pytest.fixture
def incomplete_issuer() -> Iterator[str]:
    """An issuer whose discovery document lacks the token endpoint, the JWKS and more."""
    with json_server({"issuer": "http://127.0.0.1", "authorization_endpoint": "http://127.0.0.1/a"}) as url:
        yield url.removesuffix("/jwks")


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_owner_connects_an_oidc_provider_and_the_secret_never_comes_back(
    organization: Organization, owner: User, oidc_provider: OidcProvider
) -> None:
    body = {"protocol": "oidc", "issuer": oidc_provider.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    answer = client_of(owner).put(f"{BASE}/provider/", body, format="json")

    assert answer.status_code == 200
    assert answer.json()["protocol"] == "oidc"
    assert answer.json()["has_client_secret"] is True
    assert CLIENT_SECRET not in answer.content.decode()
    assert CLIENT_SECRET not in client_of(owner).get(f"{BASE}/provider/").content.decode()
    provider = IdentityProvider.objects.for_organization(organization).get()
    assert decrypt_secret(provider.client_secret_encrypted) == CLIENT_SECRET
    event = AuditEvent.objects.for_organization(organization).get(action="identity_provider.created")
    assert CLIENT_SECRET not in json.dumps(event.data)


def test_an_owner_connects_a_saml_provider_by_metadata_url(
    organization: Organization, owner: User, saml_idp: SamlIdp
) -> None:
    answer = client_of(owner).put(
        f"{BASE}/provider/", {"protocol": "saml", "metadata_url": saml_idp.entity_id}, format="json"
    )

    assert answer.status_code == 200
    body = answer.json()
    assert (body["protocol"], body["saml_entity_id"], body["saml_sso_url"]) == (
        "saml",
        saml_idp.entity_id,
        saml_idp.sso_url,
    )
    # The API writes times in Berlin time: compare the date there (in UTC it differs between 23:00 and midnight).
    expected = timezone.localtime(timezone.now() + dt.timedelta(days=365)).date().isoformat()
    assert body["saml_certificate_not_after"][:10] == expected
    assert body["sp_metadata_path"] == "/accounts/saml/rheinwerk/metadata/"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"protocol": "oidc", "issuer": "http://idp.rheinwerk.example", "client_id": "k", "client_secret": "s"},
            {"issuer": ["The address must use HTTPS."]},
        ),
        (
            {"protocol": "saml", "metadata_url": "http://idp.rheinwerk.example/metadata"},
            {"metadata_url": ["The address must use HTTPS."]},
        ),
        (
            {"protocol": "saml", "entity_id": "https://idp.example/md"},
            {
                "sso_url": ["The single sign-on URL is required."],
                "certificate": ["The IdP signing certificate is required."],
            },
        ),
        ({"protocol": "ldap"}, {"protocol": ['"ldap" is not a valid choice.']}),
    ],
)
def test_bad_provider_input_is_refused_in_the_error_shape(
    organization: Organization, owner: User, body: dict[str, str], fields: dict[str, list[str]]
) -> None:
    answer = client_of(owner).put(f"{BASE}/provider/", body, format="json")

    assert answer.status_code == 400
    assert answer.json() == {"detail": "The request has invalid fields.", "code": "invalid", "fields": fields}
    assert not IdentityProvider.objects.unscoped().exists()


def test_a_discovery_document_without_required_fields_is_refused(
    organization: Organization, owner: User, incomplete_issuer: str
) -> None:
    body = {"protocol": "oidc", "issuer": incomplete_issuer, "client_id": "k", "client_secret": "s"}

    answer = client_of(owner).put(f"{BASE}/provider/", body, format="json")

    assert answer.status_code == 400
    assert answer.json()["fields"]["issuer"][0].startswith("The discovery document lacks token_endpoint")
    assert not IdentityProvider.objects.unscoped().exists()


def test_an_expired_saml_certificate_is_refused(organization: Organization, owner: User, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    _key, certificate = self_signed_certificate(
        tmp_path, name="old", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    body = {
        "protocol": "saml",
        "entity_id": "https://idp.rheinwerk.example/md",
        "sso_url": "https://idp.rheinwerk.example/sso",
        "certificate": certificate.read_text(),
    }

    answer = client_of(owner).put(f"{BASE}/provider/", body, format="json")

    assert answer.status_code == 400
    expired_on = (now - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    assert answer.json()["fields"] == {"certificate": [f"The identity provider's certificate expired on {expired_on}."]}
    assert not IdentityProvider.objects.unscoped().exists()


def test_domains_claim_check_and_a_domain_another_organization_verified(
    organization: Organization, other_organization: Organization, owner: User
) -> None:
    EmailDomain.objects.create(
        organization=other_organization,
        domain="taken.example",
        token="t",
        status=DomainStatus.VERIFIED,
        verified_at=timezone.now(),
    )
    client = client_of(owner)

    created = client.post(f"{BASE}/domains/", {"domain": "Rheinwerk.Example"}, format="json")
    taken = client.post(f"{BASE}/domains/", {"domain": "taken.example"}, format="json")

    assert created.status_code == 201
    domain = EmailDomain.objects.for_organization(organization).get()
    assert created.json()["record_name"] == "_kontor-challenge.rheinwerk.example"
    assert created.json()["record_value"] == f"kontor-verification={domain.token}"
    assert taken.status_code == 400
    assert taken.json()["fields"] == {"domain": ["This domain is already verified by another organization."]}
    assert client.post(f"{BASE}/domains/{domain.pk}/check/").status_code == 202
    assert [row["domain"] for row in client.get(f"{BASE}/domains/").json()["results"]] == ["rheinwerk.example"]


def test_mappings_to_a_role_that_does_not_exist_are_refused(organization: Organization, owner: User) -> None:
    client = client_of(owner)

    refused = client.post(f"{BASE}/group-mappings/", {"group": "gpu-admins", "role": "superuser"}, format="json")
    created = client.post(f"{BASE}/group-mappings/", {"group": "gpu-admins", "role": "admin"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"role": ["There is no role superuser."]}
    assert created.status_code == 201
    mapping = GroupRoleMapping.objects.for_organization(organization).get()
    assert (mapping.group, mapping.role) == ("gpu-admins", "admin")
    assert client.delete(f"{BASE}/group-mappings/{mapping.pk}/").status_code == 204
    assert not GroupRoleMapping.objects.for_organization(organization).exists()


def test_the_policy_needs_a_provider_before_sso_is_required(organization: Organization, owner: User) -> None:
    client = client_of(owner)

    refused = client.put(
        f"{BASE}/policy/",
        {"sso_required": True, "mfa_required": False, "break_glass_owner": owner.email},
        format="json",
    )
    mfa = client.put(f"{BASE}/policy/", {"sso_required": False, "mfa_required": True}, format="json")

    assert refused.status_code == 400
    assert "break_glass_owner" in refused.json()["fields"] or "sso_required" in refused.json()["fields"]
    assert mfa.status_code == 200
    assert mfa.json()["mfa_required"] is True
    assert client.get(f"{BASE}/policy/").json()["mfa_required"] is True


def test_scim_tokens_are_shown_once_and_revocable(organization: Organization, owner: User) -> None:
    client = client_of(owner)

    created = client.post(f"{BASE}/scim-tokens/")

    assert created.status_code == 201
    assert created.json()["token"].startswith("scim_")
    listed = client.get(f"{BASE}/scim-tokens/").json()["results"]
    assert [set(row) for row in listed] == [{"id", "prefix", "created_at", "revoked_at"}]
    token = ScimToken.objects.for_organization(organization).get()
    assert client.delete(f"{BASE}/scim-tokens/{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.for_organization(organization).filter(action="scim_token.revoked").count() == 1


def test_admins_are_refused_and_other_organizations_are_404(
    organization: Organization,
    other_organization: Organization,
    owner: User,
    member_of: Callable[[Organization, Role], User],
) -> None:
    admin = member_of(organization, Role.ADMIN)
    outsider = member_of(other_organization, Role.OWNER)

    assert client_of(admin).get(f"{BASE}/group-mappings/").status_code == 403
    assert client_of(admin).post(f"{BASE}/scim-tokens/").status_code == 403
    assert client_of(outsider).post(f"{BASE}/scim-tokens/").status_code == 404
    assert client_of(outsider).get(f"{BASE}/policy/").status_code == 404
    assert not ScimToken.objects.unscoped().exists()


def test_api_keys_reach_identity_only_with_the_scope_and_an_owner_as_creator(
    organization: Organization, owner: User, member_of: Callable[[Organization, Role], User]
) -> None:
    admin = member_of(organization, Role.ADMIN)
    _key, owners_key = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="idp", scopes=["identity:write"]
    )
    _key, admins_key = api_key_create(
        actor=Actor.for_user(admin), organization=organization, name="idp", scopes=["identity:write"]
    )
    _key, unscoped_key = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="read", scopes=["organization:read"]
    )

    def with_key(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    body = {"group": "staff", "role": "viewer"}
    assert with_key(owners_key).post(f"{BASE}/group-mappings/", body, format="json").status_code == 201
    assert with_key(admins_key).post(f"{BASE}/group-mappings/", body, format="json").status_code == 403
    assert with_key(unscoped_key).get(f"{BASE}/group-mappings/").status_code == 403
    assert GroupRoleMapping.objects.for_organization(organization).count() == 1


def test_disconnecting_the_provider(organization: Organization, owner: User, saml_idp: SamlIdp) -> None:
    client = client_of(owner)
    client.put(f"{BASE}/provider/", {"protocol": "saml", "metadata_url": saml_idp.entity_id}, format="json")

    assert client.delete(f"{BASE}/provider/").status_code == 204
    assert client.get(f"{BASE}/provider/").status_code == 404
    assert AuditEvent.objects.for_organization(organization).filter(action="identity_provider.removed").count() == 1
