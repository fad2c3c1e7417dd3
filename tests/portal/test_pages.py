"""The portal shell and the operator console."""

from __future__ import annotations

import pytest
from django.db import transaction

from tenants.audit import Actor, audit_record
from tenants.choices import Role

pytestmark = pytest.mark.django_db


def test_home_is_public(client):
    response = client.get("/")

    assert response.status_code == 200
    assert b"NVIDIA GPUs in Germany" in response.content


def test_signed_in_users_go_from_home_to_the_dashboard(client, owner):
    client.force_login(owner)

    assert client.get("/").url == "/dashboard/"


def test_dashboard_lists_my_organizations_only(client, organization, other_organization, owner):
    client.force_login(owner)

    content = client.get("/dashboard/").content.decode()

    assert "Rheinwerk Robotics GmbH" in content
    assert "Delft Digital Twins" not in content


def test_dashboard_requires_login(client):
    response = client.get("/dashboard/")

    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/dashboard/")


def test_owner_sees_the_organization_audit_log(client, organization, owner):
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(owner), action="organization.viewed", target=organization, organization=organization
        )
    client.force_login(owner)

    response = client.get("/orgs/rheinwerk/audit/")

    assert response.status_code == 200
    assert "organization.viewed" in response.content.decode()


def test_viewer_may_not_see_the_audit_log(client, organization, member_of):
    client.force_login(member_of(organization, Role.VIEWER))

    assert client.get("/orgs/rheinwerk/audit/").status_code == 403


def test_another_organizations_audit_log_is_a_404(client, organization, other_organization, member_of):
    client.force_login(member_of(other_organization, Role.OWNER))

    assert client.get("/orgs/rheinwerk/audit/").status_code == 404
    assert client.get("/orgs/does-not-exist/audit/").status_code == 404


def test_operator_console_is_titled_for_operators(console_client):
    content = console_client.get("/ops/").content.decode()

    assert "Kontor operations" in content
    assert "Operator console" in content
    assert content.index("Customers and access") < content.index("Authentication and Authorization")


def test_operator_console_shows_the_audit_log_read_only(console_client, organization):
    with transaction.atomic():
        event = audit_record(
            actor=Actor.system(), action="organization.checked", target=organization, organization=organization
        )
    client = console_client

    listing = client.get("/ops/tenants/auditevent/")
    detail = client.post(f"/ops/tenants/auditevent/{event.pk}/change/", {"action": "forged"})

    assert listing.status_code == 200
    assert "organization.checked" in listing.content.decode()
    assert detail.status_code == 403


def test_operator_edit_in_the_console_is_audited(console_client, organization):
    client = console_client

    response = client.post(
        f"/ops/tenants/organization/{organization.pk}/change/",
        {
            "legal_name": "Rheinwerk Robotics AG",
            "country": "DE",
            # The address as it is: only the name changes.
            "street": organization.street,
            "postal_code": organization.postal_code,
            "city": organization.city,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "vat_checks-TOTAL_FORMS": "0",
            "vat_checks-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.legal_name == "Rheinwerk Robotics AG"
    event = organization.audit_events.get()
    assert (event.action, event.actor_label, event.data) == (
        "organization.changed_in_console",
        "operator@kontor.example",
        {"fields": ["legal_name"]},
    )


def test_customers_cannot_reach_the_operator_console(client, owner):
    client.force_login(owner)

    response = client.get("/ops/", follow=True)

    assert response.redirect_chain == [("/ops/login/?next=/ops/", 302), ("/dashboard/", 302)]


def test_operators_without_a_second_factor_are_sent_to_set_one_up(client, operator):
    client.force_login(operator)

    response = client.get("/ops/", follow=True)

    assert response.redirect_chain == [("/ops/login/?next=/ops/", 302), ("/accounts/2fa/", 302)]


def test_signed_out_visitors_sign_in_through_allauth(client):
    response = client.get("/ops/", follow=True)

    assert response.redirect_chain == [
        ("/ops/login/?next=/ops/", 302),
        ("/accounts/login/?next=/ops/", 302),
    ]


def test_favicon_probe_is_redirected_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response.url) == (301, "/static/portal/favicon.svg")
