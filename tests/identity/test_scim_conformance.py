"""SCIM 2.0 conformance: scim2-tester's checks against the live endpoint (a live server, a bearer token), then
create → update → deactivate of a person through a SCIM client (scim2-client).

Before the fixes of issue 18 the run stopped after discovery: 17 checks, 1 passed, 16 failed (no /ResourceTypes and
/Schemas, 200 instead of 405 on ServiceProviderConfig). The deviations left are named in ``KNOWN_DEVIATIONS``."""

from __future__ import annotations

from collections import Counter

import httpx2
import pytest
from pytest_django.live_server_helper import LiveServer
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Email, Name, PatchOp, User
from scim2_tester import Status, check_server

from identity import scim_services
from identity.models import ExternalIdentity
from tenants.audit import Actor
from tenants.models import AuditEvent, Organization
from tenants.models import User as KontorUser

pytestmark = pytest.mark.django_db(transaction=True)

# (resource type, check): what Kontor does not do, on purpose or not yet.
KNOWN_DEVIATIONS = {
    # "active" is not removable: an unassigned active would be neither provisioned nor deprovisioned.
    ("User", "check_remove_attribute"),
    # PATCH add/replace/remove of members by the tester's generated references answers members with display and
    # $ref added, which the tester compares literally.
    ("Group", "check_add_attribute"),
    ("Group", "check_remove_attribute"),
    ("Group", "check_replace_attribute"),
}


@pytest.fixture
def http(live_server: LiveServer, organization: Organization, owner: KontorUser) -> httpx2.Client:
    _token, raw = scim_services.scim_token_create(actor=Actor.for_user(owner), organization=organization)
    return httpx2.Client(base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {raw}"})


def test_scim2_tester_finds_no_violation_beyond_the_known_deviations(http: httpx2.Client) -> None:
    results = check_server(SyncSCIMClient(http))

    counts = Counter(result.status.name for result in results)
    print("scim2-tester:", dict(counts))
    failed = {
        (result.resource_type, result.title) for result in results if result.status in {Status.ERROR, Status.CRITICAL}
    }
    assert failed <= KNOWN_DEVIATIONS, [r.reason for r in results if (r.resource_type, r.title) in failed]
    assert counts["SUCCESS"] >= 55


def replace(path: str, value: object) -> PatchOp[User]:
    return PatchOp[User].model_validate({"Operations": [{"op": "replace", "path": path, "value": value}]})


def test_create_update_deactivate_through_a_scim_client(http: httpx2.Client, organization: Organization) -> None:
    client = SyncSCIMClient(http, resource_models=[User])
    client.discover()

    created: object = client.create(
        User(
            user_name="grace@rheinwerk.example",
            name=Name(formatted="Grace Hopper"),
            emails=[Email(value="grace@rheinwerk.example", primary=True)],
        )
    )
    assert isinstance(created, User)
    assert created.active is True
    assert created.id is not None
    renamed = client.modify(
        User,
        created.id,
        replace("displayName", "Grace B. Hopper"),
    )
    deactivated = client.modify(
        User,
        created.id,
        replace("active", False),
    )

    assert isinstance(renamed, User)
    assert renamed.display_name == "Grace B. Hopper"
    assert isinstance(deactivated, User)
    assert deactivated.active is False
    identity = ExternalIdentity.objects.for_organization(organization).get(pk=int(created.id))
    assert (identity.user.email, identity.user.full_name, identity.active) == (
        "grace@rheinwerk.example",
        "Grace B. Hopper",
        False,
    )
    actions = list(
        AuditEvent.objects.for_organization(organization)
        .filter(action__startswith="scim.user")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["scim.user_provisioned", "scim.user_updated", "scim.user_deprovisioned"]
