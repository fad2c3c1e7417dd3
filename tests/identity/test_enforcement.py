"""Sign-in policies: SSO required (passwords refused, except the break-glass owner, who needs a second factor) and
a second factor required for every member."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from identity import services
from identity.models import IdentityProvider, SignInPolicy
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Organization, User
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-password-123"


def person(organization: Organization, role: Role, email: str) -> User:
    user = MembershipFactory.create(organization=organization, role=role, user__email=email).user
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@pytest.fixture
def people(organization: Organization) -> dict[str, User]:
    return {
        "owner": person(organization, Role.OWNER, "owner@rheinwerk.example"),
        "member": person(organization, Role.MEMBER, "member@rheinwerk.example"),
    }


@pytest.fixture
def provider(organization: Organization) -> IdentityProvider:
    return IdentityProvider.objects.create(
        organization=organization,
        issuer="https://idp.rheinwerk.example",
        client_id="c",
        client_secret_encrypted="x",
        discovery={"authorization_endpoint": "https://idp.rheinwerk.example/authorize"},
    )


def password_sign_in(client: Client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_a_member_of_an_sso_enforced_organization_cannot_sign_in_with_a_password(
    client, organization, people, provider
):
    owner = people["owner"]
    TOTP.activate(owner, generate_totp_secret())
    services.sign_in_policy_set(
        actor=Actor.for_user(owner),
        organization=organization,
        sso_required=True,
        mfa_required=False,
        break_glass_owner=owner,
    )

    response = password_sign_in(client, "member@rheinwerk.example")

    assert response.status_code == 200
    assert "Rheinwerk Robotics GmbH requires single sign-on: use “Sign in with your company”." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert Client().login(email="member@rheinwerk.example", password=PASSWORD) is False  # the backend refuses too


def test_the_break_glass_owner_signs_in_with_a_password_and_is_asked_for_the_second_factor(
    client, organization, people, provider
):
    owner = people["owner"]
    TOTP.activate(owner, generate_totp_secret())
    services.sign_in_policy_set(
        actor=Actor.for_user(owner),
        organization=organization,
        sso_required=True,
        mfa_required=False,
        break_glass_owner=owner,
    )

    response = password_sign_in(client, "owner@rheinwerk.example")

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session  # not signed in before the second factor


def test_a_break_glass_owner_without_a_second_factor_is_refused(client, organization, people, provider):
    owner = people["owner"]
    with pytest.raises(ValidationError) as refused:
        services.sign_in_policy_set(
            actor=Actor.for_user(owner),
            organization=organization,
            sso_required=True,
            mfa_required=False,
            break_glass_owner=owner,
        )
    assert refused.value.message_dict == {
        "break_glass_owner": ["The break-glass owner must set up a second factor first."]
    }
    assert SignInPolicy.objects.for_organization(organization).exists() is False


def test_requiring_sso_needs_a_provider_and_an_owner_as_break_glass(organization, people):
    actor = Actor.for_user(people["owner"])
    with pytest.raises(ValidationError) as no_provider:
        services.sign_in_policy_set(
            actor=actor, organization=organization, sso_required=True, mfa_required=False, break_glass_owner=None
        )
    assert no_provider.value.message_dict == {"sso_required": ["Connect and enable an identity provider first."]}
    with pytest.raises(ValidationError) as not_owner:
        services.sign_in_policy_set(
            actor=actor,
            organization=organization,
            sso_required=False,
            mfa_required=False,
            break_glass_owner=people["member"],
        )
    assert not_owner.value.message_dict == {
        "break_glass_owner": ["The break-glass account must be an owner of the organization."]
    }
    assert SignInPolicy.objects.for_organization(organization).exists() is False
    assert AuditEvent.objects.for_organization(organization).filter(action="sign_in_policy.set").exists() is False


def test_mfa_required_refuses_members_without_a_second_factor_and_asks_the_others(client, organization, people):
    TOTP.activate(people["owner"], generate_totp_secret())
    services.sign_in_policy_set(
        actor=Actor.for_user(people["owner"]),
        organization=organization,
        sso_required=False,
        mfa_required=True,
        break_glass_owner=None,
    )
    event = AuditEvent.objects.for_organization(organization).get(action="sign_in_policy.set")
    assert event.data == {"sso_required": False, "mfa_required": True, "break_glass_owner_id": None}

    refused = password_sign_in(client, "member@rheinwerk.example")
    assert "Your organization requires a second factor, and this account has none" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    asked = password_sign_in(client, "owner@rheinwerk.example")
    assert (asked.status_code, asked["Location"]) == (302, "/accounts/2fa/authenticate/")


def test_without_a_policy_passwords_work_as_before(client, people):
    response = password_sign_in(client, "member@rheinwerk.example")
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")
    assert client.session["_auth_user_id"] == str(people["member"].pk)


def test_a_wrong_password_gets_the_usual_answer_and_reveals_no_policy(client, organization, people, provider):
    owner = people["owner"]
    TOTP.activate(owner, generate_totp_secret())
    services.sign_in_policy_set(
        actor=Actor.for_user(owner),
        organization=organization,
        sso_required=True,
        mfa_required=False,
        break_glass_owner=owner,
    )
    response = client.post("/accounts/login/", {"login": "member@rheinwerk.example", "password": "wrong-password-1"})
    assert "requires single sign-on" not in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "20/m/ip,3/5m/key"})
def test_past_the_failed_login_limit_the_policy_message_does_not_tell_a_guesser_the_password_was_right(
    organization, people, provider, fresh_rate_limits
):
    owner = people["owner"]
    TOTP.activate(owner, generate_totp_secret())
    services.sign_in_policy_set(
        actor=Actor.for_user(owner),
        organization=organization,
        sso_required=True,
        mfa_required=False,
        break_glass_owner=owner,
    )
    guesser = Client(REMOTE_ADDR="203.0.113.71")
    wrong = [
        guesser.post("/accounts/login/", {"login": "member@rheinwerk.example", "password": f"wrong-{n}"})
        for n in range(3)
    ]
    right = guesser.post("/accounts/login/", {"login": "member@rheinwerk.example", "password": PASSWORD})
    member_elsewhere = password_sign_in(Client(REMOTE_ADDR="198.51.100.9"), "member@rheinwerk.example")

    assert ["requires single sign-on" in answer.content.decode() for answer in wrong] == [False, False, False]
    assert "requires single sign-on" not in right.content.decode()
    assert "Too many failed sign-in attempts from your network." in right.content.decode()
    assert "requires single sign-on" in member_elsewhere.content.decode()
    assert "_auth_user_id" not in guesser.session
