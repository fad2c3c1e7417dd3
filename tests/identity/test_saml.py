"""Sign-in through an organization's SAML 2.0 provider: a real IdP (pysaml2, signing with xmlsec1) on loopback,
SP-initiated login over HTTP-Redirect and HTTP-POST, Kontor driven by Django's test client and the IdP by HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from identity import services
from identity.choices import DomainStatus, Protocol
from identity.models import EmailDomain, ExternalIdentity, IdentityProvider, SamlAssertion
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Membership, Organization, User
from tests.identity.saml_idp import PASSWORD, SamlIdp, self_signed_certificate

pytestmark = pytest.mark.django_db

ACS = "/accounts/saml/rheinwerk/acs/"
FINISH = "/accounts/saml/rheinwerk/acs/finish/"
SP_ENTITY_ID = "http://testserver/accounts/saml/rheinwerk/metadata/"


@pytest.fixture
def client() -> Client:
    """Django's test client with the Host header every real request carries (python3-saml reads it)."""
    return Client(HTTP_HOST="testserver")


@pytest.fixture
def connected(organization: Organization, owner: User, saml_idp: SamlIdp, client: Client) -> IdentityProvider:
    """Rheinwerk with rheinwerk.example verified, its SAML IdP connected by metadata URL, gpu-admins → admin, and
    the IdP trusting Kontor's SP metadata."""
    EmailDomain.objects.create(
        organization=organization,
        domain="rheinwerk.example",
        token="t",
        status=DomainStatus.VERIFIED,
        verified_at=timezone.now(),
    )
    actor = Actor.for_user(owner)
    provider = services.identity_provider_configure_saml(
        actor=actor, organization=organization, metadata_url=saml_idp.entity_id
    )
    services.group_role_mapping_set(actor=actor, organization=organization, group="gpu-admins", role=Role.ADMIN)
    metadata = client.get("/accounts/saml/rheinwerk/metadata/")
    assert metadata.status_code == 200
    saml_idp.trust(metadata.content.decode())
    return provider


def sign_in_at_idp(client: Client, idp: SamlIdp, username: str) -> dict[str, str]:
    """From "Sign in with your company" to the IdP's signed answer: the form fields the browser would post."""
    page = client.post("/sso/", {"email": f"{username}@rheinwerk.example"})
    assert b"Continue to Rheinwerk Robotics GmbH" in page.content
    leave = client.post("/accounts/saml/rheinwerk/login/", {"process": "login"})
    assert leave.status_code == 302
    assert leave["Location"].startswith(f"{idp.sso_url}?SAMLRequest=")
    login_page = requests.get(leave["Location"], timeout=5)
    ticket = re.search(r"name='ticket' value='([^']+)'", login_page.text)
    assert ticket is not None
    answer = requests.post(
        f"{idp.base_url}/login",
        data={"ticket": ticket.group(1), "username": username, "password": PASSWORD},
        timeout=5,
    )
    fields = dict(re.findall(r"name='(SAMLResponse|RelayState)' value='([^']*)'", answer.text))
    action = re.search(r"<form method='post' action='([^']+)'", answer.text)
    assert action is not None
    assert html.unescape(action.group(1)) == f"http://testserver{ACS}"
    return {name: html.unescape(value) for name, value in fields.items()}


def post_to_acs(client: Client, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    received = client.post(ACS, fields)
    assert (received.status_code, received["Location"]) == (302, FINISH)
    return client.get(FINISH)


def test_sp_initiated_sign_in_with_a_signed_assertion_maps_groups_to_a_role(
    connected: IdentityProvider, saml_idp: SamlIdp, client: Client
) -> None:
    fields = sign_in_at_idp(client, saml_idp, "grace")
    finished = post_to_acs(client, fields)

    assert (finished.status_code, finished["Location"]) == (302, "/dashboard/")
    user = User.objects.get(email="grace@rheinwerk.example")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.full_name == "Grace Hopper"
    assert Membership.objects.for_organization(connected.organization).get(user=user).role == Role.ADMIN
    identity = ExternalIdentity.objects.for_organization(connected.organization).get(user=user)
    assert (identity.subject, identity.groups, identity.role) == ("saml-grace", ["gpu-admins", "staff"], "admin")
    consumed = SamlAssertion.objects.for_organization(connected.organization).get()
    assert timezone.now() < consumed.not_on_or_after <= timezone.now() + dt.timedelta(minutes=6)
    assert (
        AuditEvent.objects.for_organization(connected.organization).filter(action="membership.sso_role_changed").count()
        == 1
    )


def test_a_person_without_a_mapped_group_gets_no_role(
    connected: IdentityProvider, saml_idp: SamlIdp, client: Client
) -> None:
    finished = post_to_acs(client, sign_in_at_idp(client, saml_idp, "linus"))

    assert finished.status_code == 302
    user = User.objects.get(email="linus@rheinwerk.example")
    assert not Membership.objects.unscoped().filter(user=user).exists()


def refusal_reason(finished) -> str:  # type: ignore[no-untyped-def]
    """allauth's authentication-error page (401) and python3-saml's reason."""
    assert finished.status_code == 401
    return str(finished.context.get("saml_last_error_reason") or "")


def test_a_tampered_assertion_is_refused(connected: IdentityProvider, saml_idp: SamlIdp, client: Client) -> None:
    fields = sign_in_at_idp(client, saml_idp, "linus")
    document = base64.b64decode(fields["SAMLResponse"]).decode()
    assert ">staff<" in document
    fields["SAMLResponse"] = base64.b64encode(document.replace(">staff<", ">gpu-admins<").encode()).decode()

    reason = refusal_reason(post_to_acs(client, fields))

    assert "Signature validation failed" in reason
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="linus@rheinwerk.example").exists()
    assert not SamlAssertion.objects.unscoped().exists()


def test_an_expired_assertion_is_refused(connected: IdentityProvider, saml_idp: SamlIdp, client: Client) -> None:
    fields = sign_in_at_idp(client, saml_idp, "grace")

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=30)):
        reason = refusal_reason(post_to_acs(client, fields))

    assert "expired" in reason.lower()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="grace@rheinwerk.example").exists()


def test_an_assertion_for_another_service_provider_is_refused(
    connected: IdentityProvider, saml_idp: SamlIdp, client: Client, tmp_path: Path
) -> None:
    other_metadata = client.get("/accounts/saml/rheinwerk/metadata/").content.decode()
    saml_idp.trust(other_metadata.replace(SP_ENTITY_ID, "https://other-sp.example/saml/metadata"))
    fields = sign_in_at_idp(client, saml_idp, "grace")
    request_id = re.search(r'InResponseTo="([^"]+)"', base64.b64decode(fields["SAMLResponse"]).decode())
    assert request_id is not None
    fields["SAMLResponse"] = saml_idp.issue(
        username="grace",
        in_response_to=request_id.group(1),
        sp_entity_id="https://other-sp.example/saml/metadata",
        acs_url=f"http://testserver{ACS}",
    )

    reason = refusal_reason(post_to_acs(client, fields))

    assert "audience" in reason.lower()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="grace@rheinwerk.example").exists()


def test_a_replayed_assertion_is_refused_even_in_another_session(
    connected: IdentityProvider, saml_idp: SamlIdp, client: Client
) -> None:
    fields = sign_in_at_idp(client, saml_idp, "grace")
    assert post_to_acs(client, fields).status_code == 302
    attacker = Client(HTTP_HOST="testserver")
    # The attacker starts a sign-in of their own so that a state is waiting, then presents the captured answer.
    attacker.post("/accounts/saml/rheinwerk/login/", {"process": "login"})

    replayed = post_to_acs(attacker, fields)

    assert replayed.status_code == 403
    assert b"already been used" in replayed.content
    assert "_auth_user_id" not in attacker.session
    assert SamlAssertion.objects.for_organization(connected.organization).count() == 1


def test_an_idp_initiated_answer_is_refused(connected: IdentityProvider, saml_idp: SamlIdp, client: Client) -> None:
    fields = {
        "SAMLResponse": saml_idp.issue(
            username="grace", in_response_to=None, sp_entity_id=SP_ENTITY_ID, acs_url=f"http://testserver{ACS}"
        )
    }

    finished = post_to_acs(client, fields)

    assert finished.status_code == 401
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="grace@rheinwerk.example").exists()


def test_an_address_outside_the_verified_domains_is_refused(
    connected: IdentityProvider, saml_idp: SamlIdp, client: Client
) -> None:
    client.post("/accounts/saml/rheinwerk/login/", {"process": "login"})
    leave = client.post("/accounts/saml/rheinwerk/login/", {"process": "login"})
    login_page = requests.get(leave["Location"], timeout=5)
    ticket = re.search(r"name='ticket' value='([^']+)'", login_page.text)
    assert ticket is not None
    answer = requests.post(
        f"{saml_idp.base_url}/login",
        data={"ticket": ticket.group(1), "username": "mallory", "password": PASSWORD},
        timeout=5,
    )
    fields = dict(re.findall(r"name='(SAMLResponse|RelayState)' value='([^']*)'", answer.text))

    finished = post_to_acs(client, {name: html.unescape(value) for name, value in fields.items()})

    assert finished.status_code == 403
    assert b"mallory@elsewhere.example is not in a domain" in finished.content
    assert not User.objects.filter(email="mallory@elsewhere.example").exists()


def test_configuring_by_pasted_metadata_shows_the_certificate_expiry(
    organization: Organization, owner: User, saml_idp: SamlIdp
) -> None:
    provider = services.identity_provider_configure_saml(
        actor=Actor.for_user(owner),
        organization=organization,
        metadata_xml=saml_idp.metadata(),
        groups_attribute="memberOf",
    )

    assert (provider.protocol, provider.saml_entity_id, provider.saml_sso_url) == (
        Protocol.SAML,
        saml_idp.entity_id,
        saml_idp.sso_url,
    )
    assert provider.saml_certificate_not_after is not None
    assert provider.saml_certificate_not_after.date() == (timezone.now() + dt.timedelta(days=365)).date()
    event = AuditEvent.objects.for_organization(organization).get(action="identity_provider.created")
    assert event.data["certificate_not_after"] == provider.saml_certificate_not_after.isoformat()


def test_an_expired_idp_certificate_is_refused(organization: Organization, owner: User, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    _key, certificate = self_signed_certificate(
        tmp_path, name="expired", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )

    with pytest.raises(ValidationError) as refused:
        services.identity_provider_configure_saml(
            actor=Actor.for_user(owner),
            organization=organization,
            entity_id="https://idp.rheinwerk.example/metadata",
            sso_url="https://idp.rheinwerk.example/sso",
            certificate=certificate.read_text(),
        )

    assert refused.value.error_dict["certificate"][0].code == "certificate_expired"
    assert not IdentityProvider.objects.unscoped().exists()


def test_plain_http_metadata_outside_loopback_is_refused(
    organization: Organization, owner: User, settings: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.identity_provider_configure_saml(
            actor=Actor.for_user(owner), organization=organization, metadata_url="http://idp.rheinwerk.example/md"
        )

    assert refused.value.message_dict == {"metadata_url": ["The address must use HTTPS."]}
    assert not IdentityProvider.objects.unscoped().exists()


def test_the_sp_metadata_names_the_acs_and_needs_signed_assertions(connected: IdentityProvider, client: Client) -> None:
    metadata = client.get("/accounts/saml/rheinwerk/metadata/")

    assert metadata["Content-Type"] == "text/xml"
    document = metadata.content.decode()
    assert f'entityID="{SP_ENTITY_ID}"' in document
    assert f'Location="http://testserver{ACS}"' in document
    assert 'WantAssertionsSigned="true"' in document
    assert urlsplit(SP_ENTITY_ID).path == "/accounts/saml/rheinwerk/metadata/"


def test_another_organizations_slug_has_no_saml_endpoints(connected: IdentityProvider, client: Client) -> None:
    assert client.get("/accounts/saml/delft/metadata/").status_code == 404
    assert client.post("/accounts/saml/delft/login/", {"process": "login"}).status_code == 404


def test_an_owner_connects_the_saml_provider_on_the_portal_page(
    organization: Organization, owner: User, saml_idp: SamlIdp, client: Client
) -> None:
    client.force_login(owner)
    page = f"/orgs/{organization.slug}/sign-in/"
    shown = client.get(page)
    assert "http://testserver/accounts/saml/rheinwerk/metadata/" in shown.content.decode()

    saved = client.post(
        page, {"step": "saml", "saml-metadata_xml": saml_idp.metadata(), "saml-groups_attribute": "memberOf"}
    )

    assert saved.status_code == 302
    provider = IdentityProvider.objects.for_organization(organization).get()
    assert (provider.protocol, provider.saml_entity_id, provider.groups_claim) == (
        Protocol.SAML,
        saml_idp.entity_id,
        "memberOf",
    )
    assert provider.saml_entity_id in client.get(page).content.decode()


def test_an_expired_certificate_is_refused_on_the_page_and_nothing_is_saved(
    organization: Organization, owner: User, client: Client, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    _key, certificate = self_signed_certificate(
        tmp_path, name="expired", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )
    client.force_login(owner)

    refused = client.post(
        f"/orgs/{organization.slug}/sign-in/",
        {
            "step": "saml",
            "saml-entity_id": "https://idp.rheinwerk.example/metadata",
            "saml-sso_url": "https://idp.rheinwerk.example/sso",
            "saml-certificate": certificate.read_text(),
            "saml-groups_attribute": "groups",
        },
    )

    assert refused.status_code == 200
    assert "expired" in refused.content.decode()
    assert not IdentityProvider.objects.for_organization(organization).exists()
