"""Reboot, console log and renaming on the reservation page, and each instance's state history on the page and in the
API: audited, a hard reboot asks first, refusals are shown in the user's language and change nothing, and another
organization's instance is a 404. The reboot's Nova calls are checked against the fake OpenStack; the rest runs on the
simulator (the API tests in test_instance_actions.py cover the console log on Nova)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from provisioning import services
from provisioning.models import Instance, InstanceTransition
from reservations.choices import ReservationState
from reservations.services import reservation_release
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent
from tests.factories import OrganizationFactory
from tests.provisioning.test_network_access import cloud, order, orderer, provision

__all__ = ["cloud", "orderer"]  # fixtures
pytestmark = pytest.mark.django_db


@pytest.fixture
def running(small_inventory, customer, orderer, make_quote):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    assert reservation.state == ReservationState.ACTIVE
    client = Client()
    client.force_login(orderer)
    return reservation, client


def page(reservation) -> str:
    return f"/orgs/rheinwerk/reservations/{reservation.pk}/"


def audited(organization, *actions: str) -> list[tuple[str, dict]]:
    return list(
        AuditEvent.objects.for_organization(organization)
        .filter(action__in=actions)
        .order_by("id")
        .values_list("action", "data")
    )


def test_the_page_offers_reboot_and_console_for_a_running_instance(running):
    reservation, client = running

    html = client.get(page(reservation)).content.decode()

    assert 'id="reboot-soft-0"' in html
    assert 'id="reboot-hard-1"' in html
    assert 'id="console-show-0"' in html
    assert f"<code>{reservation.pk}-1</code>" in html
    assert f"<code>{reservation.pk}-2</code>" in html


def test_a_soft_reboot_at_once_a_hard_one_after_asking_both_reach_nova_and_are_audited(
    cloud, small_inventory, customer, orderer, make_quote
):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    client = Client()
    client.force_login(orderer)

    soft = client.post(f"{page(reservation)}instances/0/reboot/", follow=True)
    asked = client.post(f"{page(reservation)}instances/1/reboot/", {"hard": "1"})
    after_asking = list(cloud.actions)
    confirmed = client.post(f"{page(reservation)}instances/1/reboot/", {"hard": "1", "confirm": "1"})

    servers = list(
        Instance.objects.for_organization(customer)
        .filter(reservation=reservation)
        .order_by("index")
        .values_list("cloud_server_id", flat=True)
    )
    assert soft.redirect_chain == [(page(reservation), 302)]
    assert f"{reservation.pk}-1 is restarting." in soft.content.decode()
    assert asked.status_code == 200
    assert f"Power-cycle {reservation.pk}-2?" in asked.content.decode()
    assert 'id="confirm-hard-reboot"' in asked.content.decode()
    assert after_asking == [(servers[0], "reboot", "SOFT")]
    assert confirmed.status_code == 302
    assert cloud.actions == [(servers[0], "reboot", "SOFT"), (servers[1], "reboot", "HARD")]
    assert audited(customer, "instance.rebooted") == [
        ("instance.rebooted", {"hard": False}),
        ("instance.rebooted", {"hard": True}),
    ]


def test_the_console_log_answers_in_place_for_htmx_and_is_audited(running, customer):
    reservation, client = running

    fragment = client.post(f"{page(reservation)}instances/0/console-log/", {"lines": "2"}, HTTP_HX_REQUEST="true")
    full = client.post(f"{page(reservation)}instances/0/console-log/", {"lines": "1"})

    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.strip().startswith('<div class="console-log" id="console-log-0">')
    assert "kontor-instance-" in html
    assert "[    9.870044] docker: kontor-workload started" in html
    assert f"The last 2 lines of {reservation.pk}-1's console:" in html
    assert "<html" in full.content.decode()
    assert "[    9.870044] docker: kontor-workload started" in full.content.decode()
    assert fragment["Cache-Control"].startswith("max-age=0")
    assert audited(customer, "instance.console_log_read") == [
        ("instance.console_log_read", {"lines": 2}),
        ("instance.console_log_read", {"lines": 1}),
    ]


def test_too_many_lines_are_refused_on_the_page(running, customer):
    reservation, client = running

    response = client.post(f"{page(reservation)}instances/0/console-log/", {"lines": "5000"})

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 1000." in response.content.decode()
    assert audited(customer, "instance.console_log_read") == []


def test_a_stopped_instance_is_refused_in_german_and_the_page_says_why(running, customer, orderer):
    reservation, client = running
    reservation_release(actor=Actor.for_user(orderer), reservation=reservation)
    for instance in reservation.instances.all():
        services.instance_deprovision_step(instance_id=instance.pk)

    client.cookies["django_language"] = "de"
    reboot = client.post(f"{page(reservation)}instances/0/reboot/", follow=True)
    console = client.post(f"{page(reservation)}instances/0/console-log/", {"lines": "10"}, HTTP_HX_REQUEST="true")
    html = client.get(page(reservation)).content.decode()

    assert "braucht eine laufende Instanz" in console.content.decode()
    assert "braucht eine laufende Instanz" in reboot.content.decode()
    assert 'id="reboot-soft-0"' not in html
    assert "Neustart und Konsolenprotokoll gibt es, solange die Instanz läuft" in html
    assert audited(customer, "instance.rebooted", "instance.console_log_read") == []


def test_another_organizations_instance_is_a_404_and_nothing_happens(running, customer, member_of):
    reservation, _client = running
    stranger = Client()
    stranger.force_login(member_of(OrganizationFactory.create(slug="delft", legal_name="Delft B.V."), Role.OWNER))
    names = sorted(Instance.objects.for_organization(customer).values_list("name", flat=True))

    answers = [
        stranger.post(f"/orgs/delft/reservations/{reservation.pk}/instances/0/reboot/").status_code,
        stranger.post(
            f"/orgs/delft/reservations/{reservation.pk}/instances/0/console-log/", {"lines": "5"}
        ).status_code,
        stranger.post(f"/orgs/delft/reservations/{reservation.pk}/instances/0/name/", {"name": "mine"}).status_code,
        stranger.post(f"/orgs/rheinwerk/reservations/{reservation.pk}/instances/0/reboot/").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert sorted(Instance.objects.for_organization(customer).values_list("name", flat=True)) == names
    assert audited(customer, "instance.rebooted", "instance.console_log_read", "instance.renamed") == []


def test_a_viewer_sees_no_actions_and_may_not_reboot(running, customer, member_of):
    reservation, _client = running
    viewer = Client()
    viewer.force_login(member_of(customer, Role.VIEWER))

    html = viewer.get(page(reservation)).content.decode()
    refused = viewer.post(f"{page(reservation)}instances/0/reboot/")

    assert 'id="reboot-soft-0"' not in html
    assert "instance-rename" not in html
    assert refused.status_code == 403
    assert audited(customer, "instance.rebooted") == []


def test_renaming_in_the_portal_is_validated_unique_and_audited(running, customer):
    reservation, client = running
    url = f"{page(reservation)}instances/0/name/"

    renamed = client.post(url, {"name": " trainer-1 "}, follow=True)
    bad = client.post(url, {"name": "Trainer_1"}, follow=True)
    taken = client.post(url, {"name": f"{reservation.pk}-2"}, follow=True)

    assert "Instance 1 is now called trainer-1." in renamed.content.decode()
    assert "Use lowercase letters, digits and hyphens" in bad.content.decode()
    assert f"Another instance of this reservation is called {reservation.pk}-2." in taken.content.decode()
    assert list(Instance.objects.for_organization(customer).order_by("index").values_list("name", flat=True)) == [
        "trainer-1",
        f"{reservation.pk}-2",
    ]
    assert audited(customer, "instance.renamed") == [
        ("instance.renamed", {"from": f"{reservation.pk}-1", "to": "trainer-1"})
    ]


def test_renaming_through_the_api_and_the_refusals(running, customer, orderer):
    reservation, _client = running
    api = APIClient()
    api.force_authenticate(orderer)
    url = f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/1/"

    renamed = api.patch(url, {"name": "eval-box"}, format="json")
    too_long = api.patch(url, {"name": "a" * 64}, format="json")
    empty = api.patch(url, {"name": "  "}, format="json")
    missing = api.patch(
        f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/7/", {"name": "x"}, format="json"
    )

    assert (renamed.status_code, renamed.json()) == (200, {"index": 1, "name": "eval-box"})
    assert too_long.status_code == 400
    assert too_long.json()["fields"] == {"name": ["Use at most 63 characters."]}
    assert empty.json()["fields"] == {"name": ["Give the instance a name."]}
    assert missing.status_code == 404
    assert Instance.objects.for_organization(customer).get(reservation=reservation, index=1).name == "eval-box"


def test_each_instance_shows_its_state_history_on_the_page_and_in_the_api(running, customer, orderer):
    reservation, client = running
    api = APIClient()
    api.force_authenticate(orderer)

    html = client.get(page(reservation)).content.decode()
    data = api.get(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/").json()

    first = Instance.objects.for_organization(customer).get(reservation=reservation, index=0)
    assert list(
        InstanceTransition.objects.for_organization(customer)
        .filter(instance=first)
        .values_list("from_state", "to_state")
    ) == [("pending", "building"), ("building", "running")]
    assert 'id="instance-history-0"' in html
    assert "Waiting to start → <strong>Starting</strong>" in html
    assert "Starting → <strong>Running</strong>" in html
    history = data["instances"][0]["history"]
    assert [(change["from_state"], change["to_state"]) for change in history] == [
        ("pending", "building"),
        ("building", "running"),
    ]
    assert data["instances"][0]["name"] == f"{reservation.pk}-1"


def test_a_transition_that_loses_the_race_writes_no_history(running, customer):
    reservation, _client = running
    first = Instance.objects.for_organization(customer).get(reservation=reservation, index=0)
    before = InstanceTransition.objects.for_organization(customer).count()

    moved = services.instance_transition(
        actor=Actor.system("test"), instance=first, from_state="building", to_state="running"
    )

    assert moved is False
    assert InstanceTransition.objects.for_organization(customer).count() == before
