"""Schemathesis against a live test server: every operation, every phase (examples, coverage, fuzzing, stateful),
with the server-error, status-code, content-type, response-schema and unsupported-method (405 with Allow) checks.
A fixture organization with a reservation, a quote, an invoice, keys, members and a webhook endpoint gives every
path parameter a real value, so the cases reach past 404; an API key with every scope calls the organization's
routes, the owner's session what only a person may do, an operator's session the console routes. Any failure fails
the test, with schemathesis' own report in the assertion message.

The run is bounded: a few examples per operation, a fixed seed, no state kept between runs (``FUZZ_MAX_EXAMPLES``,
``FUZZ_SEED`` and ``FUZZ_REPORT_DIR`` to explore more by hand; the NDJSON report has every case).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from catalog.models import CatalogItem, Flavor
from catalog.services import quote_create
from core.secrets import encrypt_secret
from provisioning.cloud_access import allowed_cidr_add
from reservations.services import reservation_create
from tenants.audit import Actor
from tenants.choices import OrganizationStatus, Role
from tenants.permissions import SCOPE_VALUES
from tenants.services.api_keys import api_key_create
from tenants.services.members import invitation_create
from tenants.services.ssh_keys import ssh_key_add
from tests.billing.usage import usage
from tests.factories import MembershipFactory, OperatorFactory, OrganizationFactory
from tests.reservations.conftest import catalog, customer, hour, small_inventory  # noqa: F401
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

ST = Path(sys.executable).with_name("st")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method"
)
PHASES = "examples,coverage,fuzzing,stateful"
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhEbBVUs5xPBjQqxG5rTKh5QZ0PNs6dYJ0pNSgLxe2T ada@laptop"
ACTOR = Actor.system("fuzzing")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")


def _toml(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _operation(regex: str, parameters: dict[str, object], headers: dict[str, str]) -> str:
    params = ", ".join(f"{name} = {_toml(value)}" for name, value in parameters.items())
    head = ", ".join(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in headers.items())
    return (
        f"[[operations]]\ninclude-path-regex = {json.dumps(regex)}\n"
        f"parameters = {{ {params} }}\nheaders = {{ {head} }}\n"
    )


def _session_headers(user) -> dict[str, str]:
    """A signed-in browser's cookies and CSRF header for ``user``, as schemathesis sends them."""
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    csrf_token = "k" * 32  # Django accepts any well-formed token equal to the cookie's
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf_token}",
        "X-CSRFToken": csrf_token,
    }


@pytest.fixture
def fixture_organization(small_inventory, customer):  # noqa: F811
    """Every object a path can name, in the organization ``rheinwerk``, and the headers to reach them."""
    owner = customer.memberships.get().user
    owner_actor = Actor.for_user(owner)
    _key, token = api_key_create(actor=owner_actor, organization=customer, name="fuzzer", scopes=sorted(SCOPE_VALUES))
    spare_key, _spare = api_key_create(actor=owner_actor, organization=customer, name="spare", scopes=["catalog:read"])
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on").first()
    quote = quote_create(
        actor=ACTOR,
        organization=customer,
        version=version,
        flavor=Flavor.objects.get(slug="b200-x4"),
        instance_count=1,
        commitment="on_demand",
        starts_at=hour(0),
        ends_at=hour(24),
    )
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=quote).reservation
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "10.00")
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        draft = invoice_draft_for_month(organization=customer, year=2026, month=10)
        assert draft is not None
        invoice = invoice_finalize(actor=ACTOR, invoice=draft)
    member = MembershipFactory.create(organization=customer, role=Role.MEMBER)
    invitation = invitation_create(
        actor=owner_actor,
        organization=customer,
        email="new@rheinwerk.example",
        role=Role.MEMBER,
        may_manage_owners=True,
    )
    ssh_key = ssh_key_add(actor=ACTOR, organization=customer, name="Laptop", public_key=ED25519, owner=None)
    cidr = allowed_cidr_add(actor=ACTOR, organization=customer, cidr="85.214.0.0/16")
    endpoint = WebhookEndpoint.objects.create(
        organization=customer,
        url="https://erp.example.com/hooks",
        event_types=["reservation.active"],
        secret=encrypt_secret("whsec_fuzzing"),
    )
    pending = OrganizationFactory.create(
        legal_name="Pending GmbH", slug="pending", status=OrganizationStatus.PENDING_APPROVAL
    )
    api = {"Authorization": f"Bearer {token}"}
    staff = _session_headers(OperatorFactory.create(email="fuzz-operator@kontor.example"))
    person = _session_headers(owner)
    org = "^/api/v1/organizations/\\{organization_slug\\}"
    slug = {"organization_slug": customer.slug}
    operations = [
        _operation("^/api/v1/ops/", {"slug": pending.slug}, staff),
        # What only a person may do (API keys act for the organization, not for someone): the owner's session.
        _operation("^/api/v1/(me|invitations)/", {}, person),
        _operation(
            f"{org}/(api-keys|export|consents|members/leave|quota-requests)/", {**slug, "id": spare_key.pk}, person
        ),
        _operation(f"{org}/reservations/\\{{id\\}}/", {**slug, "id": reservation.pk}, api),
        _operation(
            f"{org}/reservations/\\{{reservation_pk\\}}/", {**slug, "reservation_pk": reservation.pk, "index": 0}, api
        ),
        _operation(f"{org}/quotes/", {**slug, "quote_id": quote.pk}, api),
        _operation(f"{org}/invoices/", {**slug, "id": invoice.pk}, api),
        _operation(f"{org}/members/", {**slug, "id": member.pk}, api),
        _operation(f"{org}/invitations/", {**slug, "id": invitation.pk}, api),
        _operation(f"{org}/api-keys/", {**slug, "id": spare_key.pk}, api),
        _operation(f"{org}/ssh-keys/", {**slug, "id": ssh_key.pk}, api),
        _operation(f"{org}/allowed-cidrs/", {**slug, "id": cidr.pk}, api),
        _operation(f"{org}/webhook-endpoints/\\{{id\\}}/", {**slug, "id": endpoint.pk}, api),
        _operation(f"{org}/webhook-endpoints/\\{{endpoint_pk\\}}/", {**slug, "endpoint_pk": endpoint.pk, "id": 1}, api),
        _operation(f"{org}/", slug, api),
        _operation("^/api/v1/(?!ops/|organizations/\\{)", {}, api),
    ]
    # Undeclared methods: the three that crashed before (OPTIONS, PUT on read-only routes, TRACE) rather than all
    # seven, which would make a fifth of the run's cases; each must answer 405 with Allow (check unsupported_method).
    coverage = '[phases.coverage]\nunexpected-methods = ["OPTIONS", "PUT", "TRACE"]\n'
    # No state kept between runs (schemathesis would replay earlier failures first): every run is the same run.
    cache = "[cache]\nenabled = false\n"
    # Top-level keys come before the first table. The hooks drop the coverage phase's repeats (schemathesis_hooks.py).
    hooks = f"hooks = {json.dumps(str(HOOKS))}\n"
    return hooks + cache + coverage + "\n".join(operations)


def test_schemathesis_finds_no_failure_in_any_operation_or_phase(live_server, fixture_organization, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(fixture_organization)
    report = Path(os.environ.get("FUZZ_REPORT_DIR", tmp_path / "report"))
    command = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/v1/schema/?format=json",
        "--checks",
        CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        os.environ.get("FUZZ_MAX_EXAMPLES", "3"),
        "--seed",
        os.environ.get("FUZZ_SEED", "20261201"),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--report",
        "ndjson",
        "--report-dir",
        str(report),
        "--generation-database",
        "none",
        "--generation-with-security-parameters",
        "false",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    summary = result.stdout[-20000:]
    print(summary)
    assert result.returncode == 0, summary
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    assert selected is not None, summary
    assert selected.group(1) == selected.group(2), summary  # every operation of the schema
    assert all(f"✅ {phase}" in summary for phase in ("Examples", "Coverage", "Fuzzing", "Stateful")), summary
    # The hooks were loaded and dropped only repeats: each negative coverage case of a parameter was sent once, and
    # every operation still had coverage cases.
    cases = list(_coverage_cases(report))
    keys = [key for key in (_repeat_key(case) for case in cases) if key is not None]
    assert keys, "no negative coverage case of a parameter in the report"
    assert len(keys) == len(set(keys)), [key for key in set(keys) if keys.count(key) > 1]
    assert len({case["label"] for case in cases}) == int(selected.group(2)), summary


def _coverage_cases(report: Path) -> Iterator[dict[str, Any]]:
    """Every case the coverage phase sent, from the NDJSON report: its operation's label, method, containers and
    coverage metadata."""
    for line in next(report.glob("*.ndjson")).read_text().splitlines():
        event = json.loads(line)
        scenario = event.get("ScenarioFinished")
        if scenario is None or scenario["phase"] != "coverage":
            continue
        for case in scenario["recorder"].get("cases", {}).values():
            yield {"label": scenario["recorder"]["label"], **case["value"]}


def _repeat_key(case: dict[str, Any]) -> tuple[str, ...] | None:
    """The key of schemathesis_hooks.repeat_key, from a case as the report records it."""
    meta = case["meta"]
    data = meta["phase"]["data"]
    location = data.get("parameter_location")
    containers = {"query": "query", "path": "path_parameters", "header": "headers", "cookie": "cookies"}
    if meta["generation"]["mode"] != "negative" or location not in containers:
        return None
    operation = (case["method"].upper(), case["path"], location)
    if data.get("parameter") is None:
        return (*operation, data["scenario"]) if data["scenario"] == "object_unexpected_properties" else None
    value = (case.get(containers[location]) or {}).get(data["parameter"], "<absent>")
    return (*operation, data["parameter"], data["scenario"], json.dumps(value, sort_keys=True, default=str))
