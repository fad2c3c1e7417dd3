"""``kontor``: book GPUs, manage SSH keys, fetch invoices and set up webhooks from a shell.

Every command prints a table, or the API's JSON with ``--json``. Exit codes: 0 done; 1 the API refused or failed
(``error: <code>: <detail>`` on stderr, with one line per invalid field); 2 bad usage or not logged in; 3 the API
cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer

from kontor_client.cli import credentials
from kontor_client.client import connect
from kontor_client.errors import ApiError
from kontor_client.generated.api.catalog import catalog_items_list
from kontor_client.generated.api.organizations import (
    organizations_availability_retrieve,
    organizations_invoices_list,
    organizations_invoices_pdf_retrieve,
    organizations_invoices_xml_retrieve,
    organizations_invoices_xrechnung_retrieve,
    organizations_reservations_create,
    organizations_reservations_extend_create,
    organizations_reservations_list,
    organizations_reservations_release_create,
    organizations_reservations_retrieve,
    organizations_retrieve,
    organizations_ssh_keys_create,
    organizations_ssh_keys_destroy,
    organizations_ssh_keys_list,
    organizations_webhook_endpoints_create,
    organizations_webhook_endpoints_list,
    organizations_webhook_endpoints_test_create,
)
from kontor_client.generated.api.quotes import organizations_quotes_create
from kontor_client.generated.client import AuthenticatedClient
from kontor_client.generated.models.commitment_enum import CommitmentEnum
from kontor_client.generated.models.event_types_enum import EventTypesEnum
from kontor_client.generated.models.extend_request import ExtendRequest
from kontor_client.generated.models.organization import Organization
from kontor_client.generated.models.organizations_availability_retrieve_kind import (
    OrganizationsAvailabilityRetrieveKind,
)
from kontor_client.generated.models.organizations_reservations_list_state import OrganizationsReservationsListState
from kontor_client.generated.models.quote_create_request import QuoteCreateRequest
from kontor_client.generated.models.reservation_create_request import ReservationCreateRequest
from kontor_client.generated.models.ssh_key_create_request import SshKeyCreateRequest
from kontor_client.generated.models.webhook_endpoint_create_request import WebhookEndpointCreateRequest
from kontor_client.generated.types import UNSET
from kontor_client.pagination import paginate

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
catalog = typer.Typer(help="The NVIDIA catalog.", no_args_is_help=True)
quote = typer.Typer(help="Priced offers for an order.", no_args_is_help=True)
reservations = typer.Typer(help="Booked GPUs.", no_args_is_help=True)
ssh_keys = typer.Typer(help="SSH keys for the servers.", no_args_is_help=True)
invoices = typer.Typer(help="Invoices and credit notes.", no_args_is_help=True)
webhooks = typer.Typer(help="Webhook endpoints.", no_args_is_help=True)
app.add_typer(catalog, name="catalog")
app.add_typer(quote, name="quote")
app.add_typer(reservations, name="reservations")
app.add_typer(ssh_keys, name="ssh-keys")
app.add_typer(invoices, name="invoices")
app.add_typer(webhooks, name="webhooks")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]
T = TypeVar("T")


# --- plumbing -----------------------------------------------------------------------------------------------------


def fail(code: str, detail: str, exit_code: int, fields: Mapping[str, Sequence[str]] | None = None) -> NoReturn:
    typer.echo(f"error: {code}: {detail}", err=True)
    for name, messages in (fields or {}).items():
        for message in messages:
            typer.echo(f"  {name}: {message}", err=True)
    raise typer.Exit(exit_code)


def call(operation: Callable[[], T]) -> T:
    """Run one SDK call; an API refusal or an unreachable API ends the command with its exit code."""
    try:
        return operation()
    except ApiError as error:
        fail(error.code, error.detail, EXIT_API_ERROR, error.fields)
    except httpx.TransportError as error:
        fail("unreachable", f"{type(error).__name__}: {error}", EXIT_UNREACHABLE)


def session() -> tuple[AuthenticatedClient, str]:
    profile = credentials.load()
    if profile is None:
        fail("not_logged_in", "run `kontor login` first (or set KONTOR_API_KEY, KONTOR_BASE_URL, ...)", EXIT_USAGE)
    return connect(profile.api_key, base_url=profile.base_url), profile.organization


def moment(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        fail("invalid", f"{option}: not an ISO 8601 date and time (2026-12-24T09:00:00+01:00)", EXIT_USAGE)
    if parsed.tzinfo is None:
        fail("invalid", f"{option}: give a time zone (2026-12-24T09:00:00+01:00 or ...Z)", EXIT_USAGE)
    return parsed


def as_dict(item: Any) -> dict[str, Any]:
    return dict(item.to_dict())


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def emit(rows: Iterable[dict[str, Any]] | dict[str, Any], columns: Sequence[str], as_json: bool) -> None:
    """A list as a table (or a JSON array), one object as ``key: value`` lines (or a JSON object)."""
    if isinstance(rows, dict):
        if as_json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        width = max(len(column) for column in columns)
        for column in columns:
            typer.echo(f"{column.ljust(width)}  {cell(rows.get(column))}")
        return
    items = list(rows)
    if as_json:
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    table = [list(columns)] + [[cell(item.get(column)) for column in columns] for item in items]
    widths = [max(len(row[index]) for row in table) for index in range(len(columns))]
    for row in table:
        typer.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


# --- login --------------------------------------------------------------------------------------------------------


@app.command()
def login(
    base_url: Annotated[str, typer.Option(prompt=True, help="The Kontor address, e.g. https://kontor.example")],
    organization: Annotated[str, typer.Option(prompt=True, help="The organization's slug.")],
    api_key: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="KONTOR_API_KEY", help="An API key (ktr_...).")
    ],
) -> None:
    """Check an API key against the API and store it (OS keyring, else a 0600 file)."""
    base_url = base_url.rstrip("/")
    client = connect(api_key, base_url=base_url)
    found = call(lambda: organizations_retrieve.sync(organization, client=client))
    where = credentials.save(credentials.Profile(base_url=base_url, organization=organization, api_key=api_key))
    name = found.legal_name if isinstance(found, Organization) else organization
    typer.echo(f"Logged in to {name} ({organization}) at {base_url}; the key is stored in {where}.")


@app.command()
def logout() -> None:
    """Forget the stored API key."""
    credentials.forget()
    typer.echo("Logged out.")


# --- catalog, availability, quotes --------------------------------------------------------------------------------


@catalog.command("list")
def catalog_list(as_json: JsonFlag = False) -> None:
    """Every catalog item with its latest version."""
    client, _organization = session()
    items = call(lambda: [as_dict(item) for item in paginate(catalog_items_list.sync, client=client)])
    for item in items:
        item["latest"] = (item.get("latest_version") or {}).get("tag")
    emit(items, ["slug", "name", "kind", "publisher", "latest", "runs_on"], as_json)


@app.command()
def availability(
    flavor: Annotated[str, typer.Option(help="Flavor slug, e.g. b200-x8-metal.")],
    count: Annotated[int, typer.Option(help="Number of instances.")],
    starts_at: Annotated[str, typer.Option(help="ISO 8601 with time zone.")],
    ends_at: Annotated[str | None, typer.Option(help="ISO 8601 with time zone (reserved windows).")] = None,
    kind: Annotated[str, typer.Option(help="reserved or on_demand.")] = "reserved",
    zone: Annotated[str | None, typer.Option(help="An availability zone; any when omitted.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Does an order fit; if not, the earliest start and alternatives."""
    client, organization = session()
    try:
        kind_value = OrganizationsAvailabilityRetrieveKind(kind)
    except ValueError:
        fail("invalid", "--kind: reserved or on_demand", EXIT_USAGE)
    result = call(
        lambda: organizations_availability_retrieve.sync(
            organization,
            client=client,
            flavor=flavor,
            instance_count=count,
            starts_at=moment(starts_at, "--starts-at"),
            ends_at=moment(ends_at, "--ends-at") if ends_at else UNSET,
            kind=kind_value,
            zone=zone if zone else UNSET,
        )
    )
    assert result is not None
    emit(as_dict(result), ["fits", "zone", "earliest_start", "alternatives"], as_json)


QUOTE_COLUMNS = ["id", "status", "item", "version", "flavor", "instance_count", "commitment", "starts_at", "ends_at"]
QUOTE_COLUMNS += ["net_amount", "gross_amount", "currency", "valid_until"]


@quote.command("create")
def quote_create(
    item: Annotated[str, typer.Option(help="Catalog item slug, e.g. nemo.")],
    version: Annotated[str, typer.Option(help="Version tag, e.g. 25.09.")],
    flavor: Annotated[str, typer.Option(help="Flavor slug.")],
    count: Annotated[int, typer.Option(help="Number of instances.")],
    starts_at: Annotated[str, typer.Option(help="ISO 8601 with time zone.")],
    ends_at: Annotated[str, typer.Option(help="ISO 8601 with time zone, whole hours after the start.")],
    commitment: Annotated[str, typer.Option(help="on_demand or a reserved term.")] = "on_demand",
    as_json: JsonFlag = False,
) -> None:
    """Price an order; a reservation books a quote."""
    client, organization = session()
    try:
        commitment_value = CommitmentEnum(commitment)
    except ValueError:
        fail("invalid", f"--commitment: one of {', '.join(c.value for c in CommitmentEnum)}", EXIT_USAGE)
    body = QuoteCreateRequest(
        item=item,
        version=version,
        flavor=flavor,
        instance_count=count,
        commitment=commitment_value,
        starts_at=moment(starts_at, "--starts-at"),
        ends_at=moment(ends_at, "--ends-at"),
    )
    created = call(lambda: organizations_quotes_create.sync(organization, client=client, body=body))
    assert created is not None
    emit(as_dict(created), QUOTE_COLUMNS, as_json)


# --- reservations -------------------------------------------------------------------------------------------------

RESERVATION_COLUMNS = ["id", "state", "kind", "item", "flavor", "instance_count", "gpus", "zone", "starts_at"]
RESERVATION_COLUMNS += ["ends_at"]


@reservations.command("create")
def reservations_create(
    quote_id: Annotated[int, typer.Option("--quote", help="The ID of an open quote.")],
    zone: Annotated[str | None, typer.Option(help="An availability zone; any when omitted.")] = None,
    ssh_key: Annotated[list[int] | None, typer.Option(help="SSH key ID (repeat for more).")] = None,
    public_address: Annotated[bool, typer.Option(help="A floating IP per server.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Book the GPUs of a quote (sent with an idempotency key, so a retry never books twice)."""
    client, organization = session()
    body = ReservationCreateRequest(
        quote=quote_id, zone=zone if zone else UNSET, ssh_keys=ssh_key if ssh_key else UNSET
    )
    body.public_address = public_address
    created = call(lambda: organizations_reservations_create.sync(organization, client=client, body=body))
    assert created is not None
    emit(as_dict(created), RESERVATION_COLUMNS, as_json)


@reservations.command("list")
def reservations_list(
    state: Annotated[str | None, typer.Option(help="Only reservations in this state.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The organization's reservations, newest first."""
    client, organization = session()
    filters: dict[str, Any] = {}
    if state:
        try:
            filters["state"] = OrganizationsReservationsListState(state)
        except ValueError:
            states = ", ".join(s.value for s in OrganizationsReservationsListState)
            fail("invalid", f"--state: one of {states}", EXIT_USAGE)
    rows = call(
        lambda: [
            as_dict(item)
            for item in paginate(organizations_reservations_list.sync, organization, client=client, **filters)
        ]
    )
    emit(rows, RESERVATION_COLUMNS, as_json)


@reservations.command("get")
def reservations_get(reservation_id: int, as_json: JsonFlag = False) -> None:
    """One reservation."""
    client, organization = session()
    found = call(lambda: organizations_reservations_retrieve.sync(organization, reservation_id, client=client))
    assert found is not None
    emit(as_dict(found), [*RESERVATION_COLUMNS, "state_reason", "quote", "created_at"], as_json)


@reservations.command("release")
def reservations_release(reservation_id: int, as_json: JsonFlag = False) -> None:
    """Give the GPUs back now (the servers are removed)."""
    client, organization = session()
    released = call(lambda: organizations_reservations_release_create.sync(organization, reservation_id, client=client))
    assert released is not None
    emit(as_dict(released), RESERVATION_COLUMNS, as_json)


@reservations.command("extend")
def reservations_extend(
    reservation_id: int,
    ends_at: Annotated[str, typer.Option(help="The new end, ISO 8601 with time zone.")],
    as_json: JsonFlag = False,
) -> None:
    """Move the end of a reservation later."""
    client, organization = session()
    body = ExtendRequest(ends_at=moment(ends_at, "--ends-at"))
    extended = call(
        lambda: organizations_reservations_extend_create.sync(organization, reservation_id, client=client, body=body)
    )
    assert extended is not None
    emit(as_dict(extended), RESERVATION_COLUMNS, as_json)


# --- SSH keys -----------------------------------------------------------------------------------------------------

SSH_KEY_COLUMNS = ["id", "name", "key_type", "bits", "fingerprint", "shared", "owner"]


@ssh_keys.command("list")
def ssh_keys_list(as_json: JsonFlag = False) -> None:
    """Your keys and the organization's shared keys."""
    client, organization = session()
    rows = call(
        lambda: [as_dict(key) for key in paginate(organizations_ssh_keys_list.sync, organization, client=client)]
    )
    emit(rows, SSH_KEY_COLUMNS, as_json)


@ssh_keys.command("add")
def ssh_keys_add(
    name: Annotated[str, typer.Option(help="A name for the key.")],
    public_key_file: Annotated[Path, typer.Option(help="The public key file (id_ed25519.pub).")],
    personal: Annotated[bool, typer.Option(help="Yours only (people, not API keys).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a public key."""
    client, organization = session()
    try:
        public_key = public_key_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        fail("invalid", f"--public-key-file: {error.strerror}", EXIT_USAGE)
    body = SshKeyCreateRequest(name=name, public_key=public_key, personal=personal)
    created = call(lambda: organizations_ssh_keys_create.sync(organization, client=client, body=body))
    assert created is not None
    emit(as_dict(created), SSH_KEY_COLUMNS, as_json)


@ssh_keys.command("delete")
def ssh_keys_delete(key_id: int) -> None:
    """Remove a key (servers already running keep it)."""
    client, organization = session()
    call(lambda: organizations_ssh_keys_destroy.sync_detailed(organization, key_id, client=client))
    typer.echo(f"Deleted SSH key {key_id}.")


# --- invoices -----------------------------------------------------------------------------------------------------

INVOICE_COLUMNS = ["id", "number", "kind", "issued_at", "net_amount", "vat_amount", "gross_amount", "currency"]
DOWNLOADS = {
    "pdf": (organizations_invoices_pdf_retrieve, "pdf"),
    "xml": (organizations_invoices_xml_retrieve, "xml"),
    "xrechnung": (organizations_invoices_xrechnung_retrieve, "xrechnung.xml"),
}


@invoices.command("list")
def invoices_list(as_json: JsonFlag = False) -> None:
    """Finalized invoices and credit notes, newest first."""
    client, organization = session()
    rows = call(
        lambda: [as_dict(item) for item in paginate(organizations_invoices_list.sync, organization, client=client)]
    )
    emit(rows, INVOICE_COLUMNS, as_json)


@invoices.command("download")
def invoices_download(
    invoice_id: int,
    output: Annotated[Path | None, typer.Option(help="Where to write it (default: <number>.<format>).")] = None,
    document: Annotated[str, typer.Option("--format", help="pdf, xml (CII) or xrechnung.")] = "pdf",
) -> None:
    """Save an invoice's PDF (or its e-invoice XML)."""
    if document not in DOWNLOADS:
        fail("invalid", "--format: pdf, xml or xrechnung", EXIT_USAGE)
    client, organization = session()
    module, suffix = DOWNLOADS[document]
    response = call(lambda: module.sync_detailed(organization, invoice_id, client=client))
    target = output or Path(f"invoice-{invoice_id}.{suffix}")
    target.write_bytes(response.content)
    typer.echo(f"Saved {target} ({len(response.content)} bytes).")


# --- webhooks -----------------------------------------------------------------------------------------------------

WEBHOOK_COLUMNS = ["id", "url", "status", "event_types", "description"]


@webhooks.command("list")
def webhooks_list(as_json: JsonFlag = False) -> None:
    """The organization's webhook endpoints."""
    client, organization = session()
    rows = call(
        lambda: [
            as_dict(item) for item in paginate(organizations_webhook_endpoints_list.sync, organization, client=client)
        ]
    )
    emit(rows, WEBHOOK_COLUMNS, as_json)


@webhooks.command("create")
def webhooks_create(
    url: Annotated[str, typer.Option(help="HTTPS URL of the receiver.")],
    event: Annotated[list[str], typer.Option(help="An event type (repeat for more), e.g. reservation.created.")],
    description: Annotated[str, typer.Option(help="What the endpoint is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Add an endpoint; its signing secret is printed once."""
    client, organization = session()
    try:
        types = [EventTypesEnum(name) for name in event]
    except ValueError:
        fail("unknown_event_type", f"--event: one of {', '.join(t.value for t in EventTypesEnum)}", EXIT_USAGE)
    body = WebhookEndpointCreateRequest(url=url, event_types=types, description=description)
    created = call(lambda: organizations_webhook_endpoints_create.sync(organization, client=client, body=body))
    assert created is not None
    emit(as_dict(created), [*WEBHOOK_COLUMNS, "secret"], as_json)


@webhooks.command("test")
def webhooks_test(endpoint_id: int, as_json: JsonFlag = False) -> None:
    """Send a webhook.test event to an endpoint."""
    client, organization = session()
    delivery = call(lambda: organizations_webhook_endpoints_test_create.sync(organization, endpoint_id, client=client))
    assert delivery is not None
    emit(as_dict(delivery), ["id", "message_id", "event_type", "status", "attempts"], as_json)


def main() -> None:
    """The console script: ``kontor ...``."""
    sys.exit(app())
