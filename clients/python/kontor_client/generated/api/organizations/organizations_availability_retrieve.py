import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.availability import Availability
from ...models.error import Error
from ...models.organizations_availability_retrieve_kind import OrganizationsAvailabilityRetrieveKind
from ...types import UNSET, Response, Unset


def _get_kwargs(
    organization_slug: str,
    *,
    ends_at: datetime.datetime | None | Unset = UNSET,
    flavor: str,
    instance_count: int,
    kind: OrganizationsAvailabilityRetrieveKind | Unset = OrganizationsAvailabilityRetrieveKind.RESERVED,
    starts_at: datetime.datetime,
    zone: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_ends_at: None | str | Unset
    if isinstance(ends_at, Unset):
        json_ends_at = UNSET
    elif isinstance(ends_at, datetime.datetime):
        json_ends_at = ends_at.isoformat()
    else:
        json_ends_at = ends_at
    params["ends_at"] = json_ends_at

    params["flavor"] = flavor

    params["instance_count"] = instance_count

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    json_starts_at = starts_at.isoformat()
    params["starts_at"] = json_starts_at

    json_zone: None | str | Unset
    if isinstance(zone, Unset):
        json_zone = UNSET
    else:
        json_zone = zone
    params["zone"] = json_zone

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/organizations/{organization_slug}/availability/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Availability | Error | None:
    if response.status_code == 200:
        response_200 = Availability.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 406:
        response_406 = Error.from_dict(response.json())

        return response_406

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Availability | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime | None | Unset = UNSET,
    flavor: str,
    instance_count: int,
    kind: OrganizationsAvailabilityRetrieveKind | Unset = OrganizationsAvailabilityRetrieveKind.RESERVED,
    starts_at: datetime.datetime,
    zone: None | str | Unset = UNSET,
) -> Response[Availability | Error]:
    """Does an order fit; if not, the earliest start and alternatives in other zones or flavors.

    Args:
        organization_slug (str):
        ends_at (datetime.datetime | None | Unset):
        flavor (str):
        instance_count (int):
        kind (OrganizationsAvailabilityRetrieveKind | Unset):  Default:
            OrganizationsAvailabilityRetrieveKind.RESERVED.
        starts_at (datetime.datetime):
        zone (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Availability | Error]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        ends_at=ends_at,
        flavor=flavor,
        instance_count=instance_count,
        kind=kind,
        starts_at=starts_at,
        zone=zone,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime | None | Unset = UNSET,
    flavor: str,
    instance_count: int,
    kind: OrganizationsAvailabilityRetrieveKind | Unset = OrganizationsAvailabilityRetrieveKind.RESERVED,
    starts_at: datetime.datetime,
    zone: None | str | Unset = UNSET,
) -> Availability | Error | None:
    """Does an order fit; if not, the earliest start and alternatives in other zones or flavors.

    Args:
        organization_slug (str):
        ends_at (datetime.datetime | None | Unset):
        flavor (str):
        instance_count (int):
        kind (OrganizationsAvailabilityRetrieveKind | Unset):  Default:
            OrganizationsAvailabilityRetrieveKind.RESERVED.
        starts_at (datetime.datetime):
        zone (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Availability | Error
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
        ends_at=ends_at,
        flavor=flavor,
        instance_count=instance_count,
        kind=kind,
        starts_at=starts_at,
        zone=zone,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime | None | Unset = UNSET,
    flavor: str,
    instance_count: int,
    kind: OrganizationsAvailabilityRetrieveKind | Unset = OrganizationsAvailabilityRetrieveKind.RESERVED,
    starts_at: datetime.datetime,
    zone: None | str | Unset = UNSET,
) -> Response[Availability | Error]:
    """Does an order fit; if not, the earliest start and alternatives in other zones or flavors.

    Args:
        organization_slug (str):
        ends_at (datetime.datetime | None | Unset):
        flavor (str):
        instance_count (int):
        kind (OrganizationsAvailabilityRetrieveKind | Unset):  Default:
            OrganizationsAvailabilityRetrieveKind.RESERVED.
        starts_at (datetime.datetime):
        zone (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Availability | Error]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        ends_at=ends_at,
        flavor=flavor,
        instance_count=instance_count,
        kind=kind,
        starts_at=starts_at,
        zone=zone,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime | None | Unset = UNSET,
    flavor: str,
    instance_count: int,
    kind: OrganizationsAvailabilityRetrieveKind | Unset = OrganizationsAvailabilityRetrieveKind.RESERVED,
    starts_at: datetime.datetime,
    zone: None | str | Unset = UNSET,
) -> Availability | Error | None:
    """Does an order fit; if not, the earliest start and alternatives in other zones or flavors.

    Args:
        organization_slug (str):
        ends_at (datetime.datetime | None | Unset):
        flavor (str):
        instance_count (int):
        kind (OrganizationsAvailabilityRetrieveKind | Unset):  Default:
            OrganizationsAvailabilityRetrieveKind.RESERVED.
        starts_at (datetime.datetime):
        zone (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Availability | Error
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
            ends_at=ends_at,
            flavor=flavor,
            instance_count=instance_count,
            kind=kind,
            starts_at=starts_at,
            zone=zone,
        )
    ).parsed
