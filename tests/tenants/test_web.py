"""The portal's onboarding and team pages: sign-up wizard, legal documents, team, invitations, API keys, legal
re-acceptance, the dashboard and the organization switcher — happy paths, refusals, and that refusals change nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from core.countries import SERVED_COUNTRIES
from tenants.audit import Actor
from tenants.choices import InvitationStatus, LegalDocumentKind, OrganizationStatus, Role
from tenants.keys import hash_secret
from tenants.models import ApiKey, AuditEvent, Consent, Invitation, LegalDocument, Membership, Organization, User
from tenants.permissions import Scope
from tenants.services import api_key_create, invitation_accept, invitation_create, invitation_token
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY
from tenants.web.context_processors import organizations
from tenants.web.countries import COUNTRY_NAMES
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

COMPANY = {
    "legal_name": "Rheinwerk Robotics GmbH",
    "country": "DE",
    "street": "Werkstraße 1",
    "postal_code": "50667",
    "city": "Köln",
    "vat_id": "DE 136 695 976",
    "billing_email": "invoices@rheinwerk.example",
}
ACCOUNT = {
    "full_name": "Jonas Weber",
    "email": "jonas@rheinwerk.example",
    "password": "a long passphrase 2026",
    "password_confirm": "a long passphrase 2026",
    "language": "de",
    "accept_terms": "on",
}
TOO_SHORT = "This password is too short. It must contain at least 12 characters."


@pytest.fixture
def documents_in_force() -> list[LegalDocument]:
    """The Terms of Service, the DPA and the Privacy Notice, in force since yesterday."""
    yesterday = timezone.now() - timedelta(days=1)
    return [
        LegalDocument.objects.create(
            kind=kind,
            version="2026-01",
            title=f"{kind.label} 2026-01",
            body=f"The {kind} text.",
            effective_at=yesterday,
        )
        for kind in LegalDocumentKind
    ]


def snapshot() -> dict[str, object]:
    """Everything a page of this module could change."""
    return {
        "organizations": list(Organization.objects.order_by("id").values_list("id", "status", "vat_id")),
        "users": list(User.objects.order_by("id").values_list("id", "email")),
        "memberships": list(Membership.objects.unscoped().order_by("id").values_list("id", "user_id", "role")),
        "invitations": list(Invitation.objects.unscoped().order_by("id").values_list("id", "status")),
        "api_keys": list(ApiKey.objects.unscoped().order_by("id").values_list("id", "revoked_at")),
        "consents": Consent.objects.unscoped().count(),
        "audit_events": AuditEvent.objects.unscoped().count(),
        "email_addresses": EmailAddress.objects.count(),
    }


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Sign-up ----------------------------------------------------------------------------------------------------


def test_every_served_country_has_a_translatable_name():
    assert set(COUNTRY_NAMES) == SERVED_COUNTRIES
    assert len(COUNTRY_NAMES) == 31


def test_signup_offers_the_served_countries_by_name_sorted(client):
    response = client.get("/signup/")

    assert response.status_code == 200
    options = re.findall(r'<option value="([A-Z]{2})"( selected)?>([^<]+)</option>', response.content.decode())
    assert len(options) == 31
    assert [name for _code, _selected, name in options] == sorted(name for _code, _selected, name in options)
    assert [(code, name) for code, selected, name in options if selected] == [("DE", "Germany")]
    assert ("CH", "", "Switzerland") in options


def test_signed_in_users_are_sent_from_signup_to_the_dashboard(client, owner):
    client.force_login(owner)

    assert client.get("/signup/").url == "/dashboard/"
    assert client.get("/signup/account/").url == "/dashboard/"


def test_signup_in_two_steps_creates_the_company_and_sends_the_verification(
    client, documents_in_force, mailoutbox, django_capture_on_commit_callbacks
):
    step_one = client.post("/signup/", COMPANY)

    assert (step_one.status_code, step_one.url) == (302, "/signup/account/")
    assert client.session["kontor_signup_company"] == COMPANY
    assert Organization.objects.count() == 0

    step_two_page = client.get("/signup/account/")
    content = step_two_page.content.decode()
    assert "Rheinwerk Robotics GmbH" in content
    assert "Werkstraße 1, 50667 Köln, Germany" in content
    for kind in ("terms", "dpa", "privacy"):
        assert f'href="/legal/{kind}/"' in content

    with django_capture_on_commit_callbacks(execute=True):
        step_two = client.post("/signup/account/", ACCOUNT)

    assert (step_two.status_code, step_two.url) == (302, "/signup/done/")
    organization = Organization.objects.get()
    assert (
        organization.legal_name,
        organization.country,
        organization.vat_id,
        organization.street,
        organization.postal_code,
        organization.city,
        organization.billing_email,
        organization.status,
    ) == (
        "Rheinwerk Robotics GmbH",
        "DE",
        "DE136695976",
        "Werkstraße 1",
        "50667",
        "Köln",
        "invoices@rheinwerk.example",
        OrganizationStatus.PENDING_VERIFICATION,
    )
    owner = User.objects.get()
    assert (owner.email, owner.full_name, owner.preferred_language) == ("jonas@rheinwerk.example", "Jonas Weber", "de")
    assert list(Membership.objects.for_organization(organization).values_list("user__email", "role")) == [
        ("jonas@rheinwerk.example", Role.OWNER)
    ]
    assert sorted(Consent.objects.for_organization(organization).values_list("document__kind", flat=True)) == [
        "dpa",
        "privacy",
        "terms",
    ]
    assert EmailAddress.objects.get(user=owner).verified is False
    assert "kontor_signup_company" not in client.session
    confirmation = [mail for mail in mailoutbox if "/accounts/confirm-email/" in mail.body]
    assert [mail.to for mail in confirmation] == [["jonas@rheinwerk.example"]]

    done = client.get("/signup/done/")
    assert done.status_code == 200
    assert "We sent a link to jonas@rheinwerk.example." in done.content.decode()


def test_step_one_errors_are_shown_on_step_one_and_nothing_is_kept(client, documents_in_force):
    before = snapshot()

    response = client.post("/signup/", {**COMPANY, "vat_id": "DE123", "postal_code": ""})

    assert response.status_code == 200
    assert response.templates[0].name == "tenants/signup_company.html"
    assert response.context["form"].errors == {
        "postal_code": ["This field is required."],
        "vat_id": ["DE123 is not a valid VAT ID for DE (wrong format or check digit)."],
    }
    content = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_vat_id_error"><li>DE123 is not a valid VAT ID for DE (wrong format or check '
        "digit).</li></ul>" in content
    )
    assert 'aria-invalid="true"' in content
    assert "kontor_signup_company" not in client.session
    assert snapshot() == before


def test_a_country_outside_europe_is_refused_with_the_reason(client, documents_in_force):
    response = client.post("/signup/", {**COMPANY, "country": "US", "vat_id": "123456789"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "country": ["Kontor serves companies in the EU, the EEA and Switzerland; US is not served."]
    }
    assert "kontor_signup_company" not in client.session


@pytest.mark.parametrize("known", ["company", "person"])
def test_a_known_company_or_person_sees_the_same_pages_and_only_the_email_tells(
    client, documents_in_force, mailoutbox, django_capture_on_commit_callbacks, known
):
    if known == "company":
        OrganizationFactory.create(vat_id="DE136695976")
    else:
        UserFactory.create(email="jonas@rheinwerk.example")
    before = snapshot()

    step_one = client.post("/signup/", COMPANY)
    with django_capture_on_commit_callbacks(execute=True):
        step_two = client.post("/signup/account/", ACCOUNT)
    done = client.get("/signup/done/")

    assert (step_one.status_code, step_one.url) == (302, "/signup/account/")
    assert (step_two.status_code, step_two.url) == (302, "/signup/done/")
    assert "We sent a link to jonas@rheinwerk.example." in done.content.decode()
    assert snapshot() == before
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (
            ["jonas@rheinwerk.example"],
            # In the language chosen on the form for a new address; in the account's own for a known person.
            "Kontor: Ihre Anmeldung" if known == "company" else "Kontor: a sign-up with your e-mail address",
        )
    ]


def test_step_two_errors_are_shown_on_step_two(client, documents_in_force):
    client.post("/signup/", COMPANY)
    before = snapshot()

    response = client.post(
        "/signup/account/",
        {**ACCOUNT, "password": "x7#Qp", "password_confirm": "different", "accept_terms": ""},
    )

    assert response.status_code == 200
    assert response.templates[0].name == "tenants/signup_account.html"
    assert response.context["form"].errors == {
        "password": [TOO_SHORT],
        "password_confirm": ["The two passwords differ."],
        "accept_terms": [
            "Accept the Terms of Service, the Data Processing Agreement and the Privacy Notice to continue."
        ],
    }
    assert 'id="id_accept_terms_error"' in response.content.decode()
    assert client.session["kontor_signup_company"] == COMPANY
    assert snapshot() == before


def test_sign_up_is_closed_without_legal_documents_in_force(client):
    client.post("/signup/", COMPANY)

    response = client.post("/signup/account/", ACCOUNT)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "accept_terms": ["Sign-up is closed: no legal documents are in force. Contact support."]
    }
    assert Organization.objects.count() == 0


def test_step_two_and_the_done_page_need_step_one(client):
    assert client.get("/signup/account/").url == "/signup/"
    assert client.post("/signup/account/", ACCOUNT).url == "/signup/"
    assert client.get("/signup/done/").url == "/signup/"


def test_signup_page_renders_in_german(client):
    response = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    content = response.content.decode()
    assert '<html lang="de">' in content
    for field in ("legal_name", "country", "street", "postal_code", "city", "vat_id", "billing_email"):
        assert f'name="{field}"' in content


def test_legal_document_page_shows_the_version_in_force(client, documents_in_force):
    LegalDocument.objects.create(
        kind=LegalDocumentKind.TERMS,
        version="2027-01",
        title="Terms 2027",
        body="Future terms.",
        effective_at=timezone.now() + timedelta(days=30),
    )

    response = client.get("/legal/terms/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Terms of Service · version 2026-01" in content
    assert "<p>The terms text.</p>" in content
    assert "Future terms." not in content
    assert client.get("/legal/nonsense/").status_code == 404


def test_legal_document_page_is_a_404_when_no_version_is_in_force(client):
    assert client.get("/legal/dpa/").status_code == 404


# --- The team ---------------------------------------------------------------------------------------------------


def test_every_member_sees_the_team_without_the_controls(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    client.force_login(viewer)

    response = client.get("/orgs/rheinwerk/members/")

    assert response.status_code == 200
    content = response.content.decode()
    assert owner.email in content
    assert viewer.email in content
    assert "/members/invite/" not in content
    assert "/role/" not in content
    assert "/remove/" not in content
    assert 'action="/orgs/rheinwerk/members/leave/"' in content


def test_owner_sees_the_controls_and_pending_invitations(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="anna@example.de",
        role=Role.MEMBER,
        may_manage_owners=True,
    )
    client.force_login(owner)

    content = client.get("/orgs/rheinwerk/members/").content.decode()

    viewer_membership = Membership.objects.for_organization(organization).get(user=viewer)
    assert f'action="/orgs/rheinwerk/members/{viewer_membership.pk}/role/"' in content
    assert f'action="/orgs/rheinwerk/members/{viewer_membership.pk}/remove/"' in content
    assert 'action="/orgs/rheinwerk/members/invite/"' in content
    assert "anna@example.de" in content
    assert '<option value="owner"' in content


def test_admin_is_not_offered_the_owner_role(client, organization, owner, member_of):
    admin = member_of(organization, Role.ADMIN)
    client.force_login(admin)

    content = client.get("/orgs/rheinwerk/members/").content.decode()

    owner_membership = Membership.objects.for_organization(organization).get(user=owner)
    assert '<option value="owner"' not in content
    assert f"/members/{owner_membership.pk}/role/" not in content
    assert f"/members/{owner_membership.pk}/remove/" not in content


def test_owner_invites_someone(client, organization, owner, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orgs/rheinwerk/members/invite/", {"email": "Anna@Example.de", "role": "admin"})

    assert (response.status_code, response.url) == (302, "/orgs/rheinwerk/members/")
    invitation = Invitation.objects.for_organization(organization).get()
    assert (invitation.email, invitation.role, invitation.status, invitation.invited_by) == (
        "anna@example.de",
        Role.ADMIN,
        InvitationStatus.PENDING,
        owner,
    )
    assert [mail.to for mail in mailoutbox] == [["anna@example.de"]]
    assert f"/invitations/{invitation_token(invitation)}/" in mailoutbox[0].body
    assert page_messages(client.get("/orgs/rheinwerk/members/")) == ["We sent an invitation to anna@example.de."]


def test_inviting_a_member_again_is_refused_next_to_the_field(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    client.force_login(owner)
    before = snapshot()

    response = client.post("/orgs/rheinwerk/members/invite/", {"email": viewer.email, "role": "member"})
    malformed = client.post("/orgs/rheinwerk/members/invite/", {"email": "not-an-address", "role": "member"})

    assert response.status_code == 200
    assert response.context["invite_form"].errors == {"email": [f"{viewer.email} is already a member."]}
    assert malformed.context["invite_form"].errors == {"email": ["Enter a valid email address."]}
    assert f'id="id_email_error"><li>{viewer.email} is already a member.</li>' in response.content.decode()
    assert snapshot() == before


def test_an_admin_may_not_invite_an_owner(client, organization, member_of):
    admin = member_of(organization, Role.ADMIN)
    client.force_login(admin)
    before = snapshot()

    response = client.post("/orgs/rheinwerk/members/invite/", {"email": "anna@example.de", "role": "owner"})

    assert response.status_code == 200
    assert response.context["invite_form"].errors == {"role": ["Only an owner can make someone an owner."]}
    assert snapshot() == before


def test_owner_revokes_a_pending_invitation_once(client, organization, owner):
    invitation = invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="anna@example.de",
        role=Role.MEMBER,
        may_manage_owners=True,
    )
    client.force_login(owner)

    first = client.post(f"/orgs/rheinwerk/invitations/{invitation.pk}/revoke/", follow=True)
    before = snapshot()
    second = client.post(f"/orgs/rheinwerk/invitations/{invitation.pk}/revoke/", follow=True)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert page_messages(first) == ["The invitation for anna@example.de is revoked."]
    assert page_messages(second) == ["Only a pending invitation can be revoked."]
    assert snapshot() == before


def test_owner_changes_a_role(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    membership = Membership.objects.for_organization(organization).get(user=viewer)
    client.force_login(owner)

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/role/", {"role": "admin"}, follow=True)

    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert response.redirect_chain == [("/orgs/rheinwerk/members/", 302)]
    assert page_messages(response) == [f"{viewer.email} is now Admin."]


def test_the_last_owner_cannot_be_demoted(client, organization, owner):
    membership = Membership.objects.for_organization(organization).get(user=owner)
    client.force_login(owner)
    before = snapshot()

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/role/", {"role": "admin"}, follow=True)

    assert response.status_code == 200
    assert page_messages(response) == ["An organization needs at least one owner: make someone else owner first."]
    assert snapshot() == before


def test_an_unknown_role_is_refused(client, organization, owner, member_of):
    membership = Membership.objects.for_organization(organization).get(user=member_of(organization, Role.VIEWER))
    client.force_login(owner)
    before = snapshot()

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/role/", {"role": "king"}, follow=True)

    assert page_messages(response) == ["Select a valid choice. king is not one of the available choices."]
    assert snapshot() == before


def test_the_last_owner_cannot_leave(client, organization, owner):
    client.force_login(owner)
    before = snapshot()

    response = client.post("/orgs/rheinwerk/members/leave/", follow=True)

    assert response.redirect_chain == [("/orgs/rheinwerk/members/", 302)]
    assert page_messages(response) == [
        "An organization needs at least one owner: make someone else owner before leaving."
    ]
    assert snapshot() == before


def test_a_member_leaves(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    client.force_login(viewer)

    response = client.post("/orgs/rheinwerk/members/leave/", follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert page_messages(response) == ["You left Rheinwerk Robotics GmbH."]
    assert list(Membership.objects.for_organization(organization).values_list("user", flat=True)) == [owner.pk]
    assert client.get("/orgs/rheinwerk/members/").status_code == 404


def test_owner_removes_a_member(client, organization, owner, member_of):
    viewer = member_of(organization, Role.VIEWER)
    membership = Membership.objects.for_organization(organization).get(user=viewer)
    client.force_login(owner)

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/remove/", follow=True)

    assert page_messages(response) == [f"{viewer.email} is no longer a member of Rheinwerk Robotics GmbH."]
    assert not Membership.objects.for_organization(organization).filter(user=viewer).exists()


def test_an_owner_removing_themselves_has_left(client, organization, owner, member_of):
    member_of(organization, Role.OWNER)
    membership = Membership.objects.for_organization(organization).get(user=owner)
    client.force_login(owner)

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/remove/", follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert page_messages(response) == ["You left Rheinwerk Robotics GmbH."]
    assert not Membership.objects.for_organization(organization).filter(user=owner).exists()


def test_an_admin_may_not_remove_an_owner(client, organization, owner, member_of):
    admin = member_of(organization, Role.ADMIN)
    membership = Membership.objects.for_organization(organization).get(user=owner)
    client.force_login(admin)
    before = snapshot()

    response = client.post(f"/orgs/rheinwerk/members/{membership.pk}/remove/", follow=True)

    assert page_messages(response) == ["Only an owner can remove an owner."]
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.MEMBER, Role.BILLING, Role.VIEWER])
def test_roles_that_may_not_manage_members_get_403(client, organization, owner, member_of, role):
    user = member_of(organization, role)
    target = Membership.objects.for_organization(organization).get(user=owner)
    invitation = invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="a@example.de",
        role="member",
        may_manage_owners=True,
    )
    client.force_login(user)
    before = snapshot()

    responses = [
        client.post("/orgs/rheinwerk/members/invite/", {"email": "b@example.de", "role": "member"}),
        client.post(f"/orgs/rheinwerk/members/{target.pk}/role/", {"role": "viewer"}),
        client.post(f"/orgs/rheinwerk/members/{target.pk}/remove/"),
        client.post(f"/orgs/rheinwerk/invitations/{invitation.pk}/revoke/"),
        client.get("/orgs/rheinwerk/api-keys/"),
        client.post("/orgs/rheinwerk/api-keys/", {"name": "CI", "scopes": ["catalog:read"]}),
        client.post("/orgs/rheinwerk/legal/accept/", {"confirm": "on"}),
    ]

    assert [response.status_code for response in responses] == [403] * 7
    assert "Access denied" in responses[0].content.decode()
    assert snapshot() == before


# Another organization's pages, for every method, are tests/portal/test_web_scoping.py (generated from the URLs).


@pytest.mark.parametrize(
    "url",
    [
        "/orgs/delft/members/{membership}/role/",
        "/orgs/delft/members/{membership}/remove/",
        "/orgs/delft/invitations/{invitation}/revoke/",
        "/orgs/delft/api-keys/{api_key}/revoke/",
    ],
)
def test_another_organizations_objects_are_a_404_through_my_own_organization(
    client, organization, other_organization, owner, member_of, url
):
    other_owner = member_of(other_organization, Role.OWNER)
    membership = Membership.objects.for_organization(organization).get(user=owner)
    invitation = invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="a@example.de",
        role="member",
        may_manage_owners=True,
    )
    api_key, _token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.CATALOG_READ]
    )
    client.force_login(other_owner)
    before = snapshot()

    response = client.post(
        url.format(membership=membership.pk, invitation=invitation.pk, api_key=api_key.pk), {"role": "viewer"}
    )

    assert response.status_code == 404
    assert snapshot() == before


def test_organization_pages_ask_anonymous_visitors_to_sign_in(client, organization):
    response = client.get("/orgs/rheinwerk/members/")

    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/orgs/rheinwerk/members/")


# --- Invitations ------------------------------------------------------------------------------------------------


@pytest.fixture
def invitation(organization, owner) -> Invitation:
    return invitation_create(
        actor=Actor.for_user(owner),
        organization=organization,
        email="anna@example.de",
        role=Role.ADMIN,
        may_manage_owners=True,
    )


def test_invitation_page_shows_the_organization_and_the_role(client, invitation):
    token = invitation_token(invitation)

    response = client.get(f"/invitations/{token}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Join Rheinwerk Robotics GmbH on Kontor" in content
    assert "This invitation is for anna@example.de, with the role Admin." in content
    assert f'href="/accounts/login/?next=%2Finvitations%2F{token.replace(":", "%3A")}%2F"' in content
    assert f'action="/invitations/{token}/register/"' in content


def test_an_invalid_invitation_link_says_so(client, invitation):
    response = client.get("/invitations/not-a-token/")

    assert response.status_code == 400
    assert "This invitation link is not valid." in response.content.decode()


def test_an_expired_invitation_says_so_and_cannot_be_used(client, invitation):
    token = invitation_token(invitation)
    before = snapshot()

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = client.get(f"/invitations/{token}/")
        register = client.post(
            f"/invitations/{token}/register/",
            {"full_name": "Anna", "password": ACCOUNT["password"], "password_confirm": ACCOUNT["password"]},
        )
        empty = client.post(f"/invitations/{token}/register/", {})

    assert (page.status_code, register.status_code, empty.status_code) == (410, 410, 410)
    assert "This invitation has expired; ask for a new one." in page.content.decode()
    assert "This invitation has expired; ask for a new one." in register.content.decode()
    assert snapshot() == before


def test_a_used_invitation_says_so(client, invitation):
    invitee = UserFactory.create(email="anna@example.de")
    token = invitation_token(invitation)
    invitation_accept(actor=Actor.for_user(invitee), user=invitee, token=token)
    before = snapshot()

    page = client.get(f"/invitations/{token}/")
    register = client.post(
        f"/invitations/{token}/register/",
        {"full_name": "Anna", "password": ACCOUNT["password"], "password_confirm": ACCOUNT["password"]},
    )

    assert (page.status_code, register.status_code) == (410, 410)
    assert "This invitation has already been accepted." in page.content.decode()
    assert snapshot() == before


def test_someone_new_creates_an_account_from_the_invitation_and_joins(client, organization, invitation):
    token = invitation_token(invitation)

    response = client.post(
        f"/invitations/{token}/register/",
        {"full_name": " Anna Schmidt ", "password": ACCOUNT["password"], "password_confirm": ACCOUNT["password"]},
        follow=True,
    )

    assert response.redirect_chain == [("/orgs/rheinwerk/members/", 302)]
    assert page_messages(response) == ["Welcome to Rheinwerk Robotics GmbH."]
    user = User.objects.get(email="anna@example.de")
    assert user.full_name == "Anna Schmidt"
    assert user.check_password(ACCOUNT["password"])
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        ("anna@example.de", True, True)
    ]
    assert Membership.objects.for_organization(organization).get(user=user).role == Role.ADMIN
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, user)
    assert list(
        AuditEvent.objects.for_organization(organization)
        .filter(actor_user=user)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["invitation.accepted", "membership.created"]
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == "rheinwerk"


def test_a_new_account_with_bad_input_is_refused_next_to_the_fields(client, invitation):
    token = invitation_token(invitation)
    before = snapshot()

    response = client.post(
        f"/invitations/{token}/register/", {"full_name": "Anna", "password": "x7#Qp", "password_confirm": "x7#Qp"}
    )
    mismatch = client.post(
        f"/invitations/{token}/register/",
        {"full_name": "Anna", "password": ACCOUNT["password"], "password_confirm": "other"},
    )

    assert response.status_code == 200
    assert response.context["signup_form"].errors == {"password": [TOO_SHORT]}
    assert mismatch.context["signup_form"].errors == {"password_confirm": ["The two passwords differ."]}
    assert snapshot() == before


def test_an_invitee_with_an_account_is_asked_to_sign_in(client, invitation):
    UserFactory.create(email="anna@example.de")
    token = invitation_token(invitation)
    before = snapshot()

    response = client.post(
        f"/invitations/{token}/register/",
        {"full_name": "Anna", "password": ACCOUNT["password"], "password_confirm": ACCOUNT["password"]},
    )

    assert response.status_code == 200
    assert response.context["signup_form"].non_field_errors() == [
        "An account with the invited address exists already: sign in to accept the invitation."
    ]
    assert snapshot() == before


def test_the_signed_in_invitee_accepts(client, organization, invitation):
    invitee = UserFactory.create(email="anna@example.de")
    token = invitation_token(invitation)
    client.force_login(invitee)

    page = client.get(f"/invitations/{token}/")
    response = client.post(f"/invitations/{token}/accept/", follow=True)

    assert f'action="/invitations/{token}/accept/"' in page.content.decode()
    assert response.redirect_chain == [("/orgs/rheinwerk/members/", 302)]
    assert Membership.objects.for_organization(organization).get(user=invitee).role == Role.ADMIN


def test_the_signed_in_invitee_declines(client, organization, invitation):
    invitee = UserFactory.create(email="anna@example.de")
    client.force_login(invitee)

    response = client.post(f"/invitations/{invitation_token(invitation)}/decline/", follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert page_messages(response) == ["You declined the invitation to Rheinwerk Robotics GmbH."]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Membership.objects.for_organization(organization).filter(user=invitee).exists()


def test_an_answered_invitation_cannot_be_declined(client, invitation):
    invitee = UserFactory.create(email="anna@example.de")
    token = invitation_token(invitation)
    invitation_accept(actor=Actor.for_user(invitee), user=invitee, token=token)
    client.force_login(invitee)
    before = snapshot()

    response = client.post(f"/invitations/{token}/decline/")

    assert response.status_code == 410
    assert "This invitation has already been accepted." in response.content.decode()
    assert snapshot() == before


def test_signed_in_users_do_not_create_another_account_from_an_invitation(client, invitation):
    client.force_login(UserFactory.create(email="anna@example.de"))
    token = invitation_token(invitation)
    before = snapshot()

    response = client.post(
        f"/invitations/{token}/register/",
        {"full_name": "Anna", "password": ACCOUNT["password"], "password_confirm": ACCOUNT["password"]},
    )

    assert response.url == f"/invitations/{token}/"
    assert snapshot() == before


def test_someone_else_signed_in_cannot_accept(client, invitation):
    stranger = UserFactory.create(email="stranger@example.de")
    token = invitation_token(invitation)
    client.force_login(stranger)
    before = snapshot()

    page = client.get(f"/invitations/{token}/")
    response = client.post(f"/invitations/{token}/accept/")

    assert (
        "You are signed in as stranger@example.de, but this invitation was sent to another e-mail address. To answer "
        "it, sign out and sign in with that address." in page.content.decode()
    )
    assert f"/invitations/{token}/accept/" not in page.content.decode()
    assert response.status_code == 403
    assert (
        "This invitation was sent to another e-mail address; sign in with that address to answer it."
        in response.content.decode()
    )
    assert "anna@example.de" not in response.content.decode()
    assert snapshot() == before


def test_anonymous_answers_go_back_to_the_invitation(client, invitation):
    token = invitation_token(invitation)
    before = snapshot()

    accept = client.post(f"/invitations/{token}/accept/")
    decline = client.post(f"/invitations/{token}/decline/")

    assert accept.url == f"/invitations/{token}/"
    assert decline.status_code == 200
    assert 'name="confirm" value="1"' in decline.content.decode()
    assert "Rheinwerk" not in decline.content.decode()
    assert "anna@example.de" not in decline.content.decode()
    assert snapshot() == before


def test_the_emailed_link_declines_anonymously_after_a_confirmation(client, organization, invitation):
    token = invitation_token(invitation)

    response = client.post(f"/invitations/{token}/decline/", {"confirm": "1"}, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert page_messages(response) == ["You declined the invitation."]
    assert "Rheinwerk" not in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert list(
        AuditEvent.objects.for_organization(organization)
        .filter(action="invitation.declined")
        .values_list("actor_label", flat=True)
    ) == ["invitation-link"]


def test_someone_else_signed_in_cannot_decline(client, organization, invitation):
    client.force_login(UserFactory.create(email="stranger@example.de"))
    token = invitation_token(invitation)
    before = snapshot()

    response = client.post(f"/invitations/{token}/decline/", {"confirm": "1"})

    assert response.status_code == 403
    assert (
        "This invitation was sent to another e-mail address; sign in with that address to answer it."
        in response.content.decode()
    )
    assert "anna@example.de" not in response.content.decode()
    assert snapshot() == before


# --- API keys ---------------------------------------------------------------------------------------------------


def test_an_api_key_is_created_and_its_token_shown_once(client, organization, owner):
    client.force_login(owner)

    created = client.post(
        "/orgs/rheinwerk/api-keys/", {"name": " ERP sync ", "scopes": ["catalog:read", "billing:read"]}
    )

    assert created.status_code == 200
    api_key = ApiKey.objects.for_organization(organization).get()
    token = created.context["token"]
    assert token.startswith(f"ktr_{api_key.prefix}_")
    assert api_key.secret_hash == hash_secret(token.split("_", 2)[2])
    assert (api_key.name, api_key.scopes, api_key.expires_at, api_key.created_by) == (
        "ERP sync",
        ["billing:read", "catalog:read"],
        None,
        owner,
    )
    assert f'value="{token}"' in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    listing = client.get("/orgs/rheinwerk/api-keys/").content.decode()
    assert token not in listing
    assert token.split("_", 2)[2] not in listing
    assert f"<code>{api_key.prefix}</code>" in listing
    assert "ERP sync" in listing


def test_an_api_key_expires_at_the_end_of_the_chosen_day_in_germany(client, organization, owner):
    client.force_login(owner)
    day = timezone.localdate() + timedelta(days=30)

    client.post("/orgs/rheinwerk/api-keys/", {"name": "CI", "scopes": ["catalog:read"], "expires_at": day.isoformat()})

    assert ApiKey.objects.for_organization(organization).get().expires_at == datetime.combine(
        day + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_api_key_refusals_are_shown_next_to_the_fields(client, organization, owner):
    client.force_login(owner)
    before = snapshot()

    no_scope = client.post("/orgs/rheinwerk/api-keys/", {"name": "CI"})
    past = client.post(
        "/orgs/rheinwerk/api-keys/",
        {
            "name": "CI",
            "scopes": ["catalog:read"],
            "expires_at": (timezone.localdate() - timedelta(days=2)).isoformat(),
        },
    )
    unknown = client.post("/orgs/rheinwerk/api-keys/", {"name": "CI", "scopes": ["root"]})

    assert no_scope.context["form"].errors == {"scopes": ["Choose at least one scope."]}
    assert past.context["form"].errors == {"expires_at": ["The expiry must be in the future."]}
    assert unknown.context["form"].errors == {
        "scopes": ["Select a valid choice. root is not one of the available choices."]
    }
    assert "token" not in no_scope.context
    assert snapshot() == before


def test_an_api_key_is_revoked(client, organization, owner):
    api_key, _token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.CATALOG_READ]
    )
    client.force_login(owner)

    response = client.post(f"/orgs/rheinwerk/api-keys/{api_key.pk}/revoke/", follow=True)

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert page_messages(response) == ["The key CI is revoked."]
    assert f"/api-keys/{api_key.pk}/revoke/" not in response.content.decode()


def test_an_admin_manages_api_keys(client, organization, member_of):
    client.force_login(member_of(organization, Role.ADMIN))

    assert client.get("/orgs/rheinwerk/api-keys/").status_code == 200


# --- Legal documents to accept again ----------------------------------------------------------------------------


@pytest.fixture
def new_terms(documents_in_force, organization, owner) -> LegalDocument:
    """The organization accepted the documents of 2026-01; new terms came into force an hour ago."""
    for document in documents_in_force:
        Consent.objects.create(organization=organization, document=document, user=owner)
    return LegalDocument.objects.create(
        kind=LegalDocumentKind.TERMS,
        version="2026-07",
        title="Terms of Service 2026-07",
        body="New terms.",
        effective_at=timezone.now() - timedelta(hours=1),
    )


def test_an_owner_accepts_the_new_terms(client, organization, owner, new_terms):
    client.force_login(owner)

    page = client.get("/orgs/rheinwerk/legal/")
    response = client.post(
        "/orgs/rheinwerk/legal/accept/", {"documents": [str(new_terms.pk)], "confirm": "on"}, follow=True
    )

    assert [document.pk for document in page.context["missing"]] == [new_terms.pk]
    assert f'name="documents" value="{new_terms.pk}"' in page.content.decode()
    assert response.redirect_chain == [("/orgs/rheinwerk/legal/", 302)]
    assert page_messages(response) == ["Thank you: the documents are accepted."]
    consent = Consent.objects.for_organization(organization).get(document=new_terms)
    assert (consent.user, consent.ip_address) == (owner, "127.0.0.1")
    assert response.context["missing"] == []


def test_accepting_needs_the_confirmation(client, organization, owner, new_terms):
    client.force_login(owner)
    before = snapshot()

    response = client.post("/orgs/rheinwerk/legal/accept/", {"documents": [str(new_terms.pk)]})

    assert response.status_code == 200
    assert response.context["form"].errors == {"confirm": ["This field is required."]}
    assert snapshot() == before


def test_a_document_no_longer_in_force_is_refused(client, organization, owner, new_terms, documents_in_force):
    old_terms = documents_in_force[0]
    client.force_login(owner)
    before = snapshot()

    response = client.post("/orgs/rheinwerk/legal/accept/", {"documents": [str(old_terms.pk)], "confirm": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"documents": ["Not the version in force: Terms of Service 2026-01."]}
    assert snapshot() == before


def test_a_viewer_sees_what_is_missing_but_cannot_accept(client, organization, member_of, new_terms):
    client.force_login(member_of(organization, Role.VIEWER))
    before = snapshot()

    page = client.get("/orgs/rheinwerk/legal/")
    refused = client.post("/orgs/rheinwerk/legal/accept/", {"documents": [str(new_terms.pk)], "confirm": "on"})

    assert page.status_code == 200
    assert "An owner or admin of the organization accepts them." in page.content.decode()
    assert "/legal/accept/" not in page.content.decode()
    assert refused.status_code == 403
    assert snapshot() == before


# --- Dashboard and organization switcher ------------------------------------------------------------------------


def test_dashboard_shows_status_legal_notice_and_the_links_the_role_allows(client, organization, owner, new_terms):
    pending = OrganizationFactory.create(
        legal_name="Pending GmbH", slug="pending", status=OrganizationStatus.PENDING_APPROVAL
    )
    rejected = OrganizationFactory.create(
        legal_name="Rejected GmbH",
        slug="rejected",
        status=OrganizationStatus.REJECTED,
        status_reason="The VAT ID belongs to another company.",
    )
    MembershipFactory.create(organization=pending, user=owner, role=Role.VIEWER)
    MembershipFactory.create(organization=rejected, user=owner, role=Role.OWNER)
    client.force_login(owner)

    response = client.get("/dashboard/")

    content = response.content.decode()
    rows = {row.organization.slug: row for row in response.context["rows"]}
    assert list(rows) == ["pending", "rejected", "rheinwerk"]
    assert [document.pk for document in rows["rheinwerk"].missing_documents] == [new_terms.pk]
    assert 'href="/orgs/rheinwerk/legal/"' in content
    assert "A new legal document must be accepted before the next order." in content
    assert "We are checking the company details and e-mail you as soon as the sign-up is approved." in content
    assert "We could not accept this sign-up. Reason: The VAT ID belongs to another company." in content
    for slug in ("rheinwerk", "rejected"):
        assert f'href="/orgs/{slug}/members/"' in content
        assert f'href="/orgs/{slug}/api-keys/"' in content
        assert f'href="/orgs/{slug}/audit/"' in content
    assert 'href="/orgs/pending/members/"' in content
    assert 'href="/orgs/pending/api-keys/"' not in content
    assert 'href="/orgs/pending/audit/"' not in content


def test_the_switcher_appears_with_two_organizations(client, organization, other_organization, owner):
    client.force_login(owner)
    single = client.get("/dashboard/").content.decode()
    MembershipFactory.create(organization=other_organization, user=owner, role=Role.VIEWER)

    double = client.get("/dashboard/").content.decode()

    assert 'id="organization-select"' not in single
    assert 'href="/orgs/rheinwerk/members/">Team</a>' in single
    assert 'id="organization-select"' in double
    [switcher] = re.findall(r'<select name="organization".*?</select>', double, re.DOTALL)
    options = re.findall(r'<option value="([a-z-]+)"( selected)?>([^<]+)</option>', switcher)
    # No choice made yet: the first by name is the current one.
    assert options == [("delft", " selected", "Delft Digital Twins B.V."), ("rheinwerk", "", "Rheinwerk Robotics GmbH")]


def test_switching_goes_back_or_to_the_other_organizations_team(client, organization, other_organization, owner):
    MembershipFactory.create(organization=other_organization, user=owner, role=Role.VIEWER)
    client.force_login(owner)

    team = client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "/orgs/delft/members/"})
    audit = client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "/orgs/delft/audit/?page=2"})
    signup = client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "/legal/terms/"})
    unknown = client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "/no/such/page/"})
    outside = client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "https://evil.example/"})

    assert (team.status_code, team.url) == (302, "/orgs/rheinwerk/members/")
    assert [audit.url, signup.url, unknown.url, outside.url] == [
        "/orgs/rheinwerk/members/",
        "/legal/terms/",
        "/dashboard/",
        "/dashboard/",
    ]
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == "rheinwerk"
    content = client.get("/dashboard/").content.decode()
    assert '<option value="rheinwerk" selected>' in content
    assert 'href="/orgs/rheinwerk/api-keys/">API keys</a>' in content


def test_switching_to_an_organization_i_do_not_belong_to_is_a_404(client, organization, other_organization, owner):
    client.force_login(owner)
    client.post("/orgs/switch/", {"organization": "rheinwerk", "next": "/dashboard/"})

    response = client.post("/orgs/switch/", {"organization": "delft", "next": "/dashboard/"})

    assert response.status_code == 404
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == "rheinwerk"


def test_the_header_context_costs_one_query_per_request(
    organization, other_organization, owner, django_assert_num_queries
):
    MembershipFactory.create(organization=other_organization, user=owner, role=Role.VIEWER)
    request = RequestFactory().get("/dashboard/")
    request.user = owner
    request.session = SessionStore()
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = "rheinwerk"

    with django_assert_num_queries(1):
        first = organizations(request)
        second = organizations(request)

    assert [membership.organization.slug for membership in first["user_memberships"]] == ["delft", "rheinwerk"]
    assert first["current_organization"] == organization
    assert "api_keys.manage" in first["current_organization_actions"]
    assert second["user_memberships"] is first["user_memberships"]
