"""The ``kontor`` command line as a user runs it: a separate process, real HTTP to the API on a live server. It
logs in, prices and books a reservation, lists and releases it, lists and downloads an invoice PDF, and gets
a non-zero exit and the API's error code when the API refuses."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from billing.invoices.rendering import invoice_files_render
from catalog.models import CatalogItem
from provisioning import services as provisioning
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition
from tenants.audit import Actor
from tests.billing.invoice_files import finalized
from tests.billing.usage import reservation, usage
from tests.reservations.conftest import hour

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["reservation"]
SDK = Path(__file__).resolve().parents[2] / "clients" / "python"


@pytest.fixture
def invoice(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    document = finalized(customer)
    invoice_files_render(invoice_id=document.pk)
    return document


@pytest.fixture
def kontor(tmp_path):
    """Run ``kontor ...`` in its own process with its own config directory and no key in the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")}
    env |= {"XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(SDK), "COLUMNS": "200"}

    def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "kontor_client.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == expect, (args, done.stdout, done.stderr)
        return done

    return run


def test_the_cli_books_lists_releases_and_downloads_an_invoice(
    live_api, kontor, tmp_path, invoice, reservation, customer
):
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on").first()

    logged_in = kontor("login", "--base-url", live_api.url, "--organization", "rheinwerk", "--api-key", live_api.token)
    quoted = kontor(
        "quote", "create", "--item", "pytorch", "--version", version.tag, "--flavor", "b200-x4", "--count", "1",
        "--starts-at", hour(1).isoformat(), "--ends-at", hour(5).isoformat(), "--commitment", "on_demand", "--json",
    )  # fmt: skip
    quote_id = json.loads(quoted.stdout)["id"]
    booked = json.loads(kontor("reservations", "create", "--quote", str(quote_id), "--json").stdout)
    listed = kontor("reservations", "list").stdout.splitlines()
    run_it(Reservation.objects.for_organization(customer).get(pk=booked["id"]))
    released = json.loads(kontor("reservations", "release", str(booked["id"]), "--json").stdout)
    shown = kontor("reservations", "get", str(booked["id"])).stdout
    invoices = kontor("invoices", "list").stdout.splitlines()
    downloaded = kontor("invoices", "download", str(invoice.pk), "--output", "invoice.pdf")
    missing = kontor("reservations", "get", "999999", expect=1)
    invalid = kontor("quote", "create", "--item", "nope", "--version", "1", "--flavor", "b200-x4", "--count", "0",
                     "--starts-at", hour(1).isoformat(), "--ends-at", hour(2).isoformat(), expect=1)  # fmt: skip
    again = kontor("reservations", "release", str(booked["id"]), expect=1)
    bad_time = kontor("reservations", "extend", "1", "--ends-at", "tomorrow", expect=2)

    config = tmp_path / "config" / "kontor" / "config.json"
    assert "key is stored in" in logged_in.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text()) == {
        "base_url": live_api.url,
        "organization": "rheinwerk",
        "api_key": live_api.token,
    }
    row = Reservation.objects.for_organization(customer).get(pk=booked["id"])
    assert (booked["quote"], booked["flavor"], booked["instance_count"]) == (quote_id, "b200-x4", 1)
    assert listed[0].split()[:3] == ["id", "state", "kind"]
    assert [line.split()[0] for line in listed[1:]] == [str(booked["id"]), str(reservation.pk)]
    assert released["state"] == row.state == ReservationState.ENDING
    assert shown.splitlines()[1].split() == ["state", "ending"]
    assert invoices[1].split()[:2] == [str(invoice.pk), invoice.number]
    assert downloaded.stdout.startswith("Saved invoice.pdf (")
    assert (tmp_path / "invoice.pdf").read_bytes()[:5] == b"%PDF-"
    # Refusals: the API's code on stderr and exit 1; bad input caught before any request, exit 2.
    assert again.stderr.startswith("error: invalid_transition: ")
    assert missing.stderr.startswith("error: not_found: ")
    assert invalid.stderr == "error: invalid: The request has invalid fields.\n  item: There is no catalog item nope.\n"
    assert bad_time.stderr == "error: invalid: --ends-at: not an ISO 8601 date and time (2026-12-24T09:00:00+01:00)\n"


def run_it(reservation: Reservation) -> None:
    """The cloud side, in this process: the reservation is provisioned on the simulator and becomes active."""
    reservation_transition(actor=Actor.system("test"), reservation=reservation, to_state=ReservationState.PROVISIONING)
    for instance_id in provisioning.reservation_start_provisioning(reservation_id=reservation.pk):
        provision_instance_task.apply(args=(instance_id,))
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE


@pytest.mark.django_db(transaction=False)
def test_without_login_the_cli_says_so(kontor):
    assert kontor("invoices", "list", expect=2).stderr.startswith("error: not_logged_in: ")
