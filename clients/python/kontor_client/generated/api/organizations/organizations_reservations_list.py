from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.organizations_reservations_list_kind import OrganizationsReservationsListKind
from ...models.organizations_reservations_list_state import OrganizationsReservationsListState
from ...models.paginated_reservation_list import PaginatedReservationList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    organization_slug: str,
    *,
    cursor: str | Unset = UNSET,
    kind: OrganizationsReservationsListKind | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: OrganizationsReservationsListState | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    params["page_size"] = page_size

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/organizations/{organization_slug}/reservations/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PaginatedReservationList | None:
    if response.status_code == 200:
        response_200 = PaginatedReservationList.from_dict(response.json())

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
) -> Response[Error | PaginatedReservationList]:
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
    cursor: str | Unset = UNSET,
    kind: OrganizationsReservationsListKind | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: OrganizationsReservationsListState | Unset = UNSET,
) -> Response[Error | PaginatedReservationList]:
    """
    Args:
        organization_slug (str):
        cursor (str | Unset):
        kind (OrganizationsReservationsListKind | Unset):
        page_size (int | Unset):
        state (OrganizationsReservationsListState | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedReservationList]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        cursor=cursor,
        kind=kind,
        page_size=page_size,
        state=state,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: OrganizationsReservationsListKind | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: OrganizationsReservationsListState | Unset = UNSET,
) -> Error | PaginatedReservationList | None:
    """
    Args:
        organization_slug (str):
        cursor (str | Unset):
        kind (OrganizationsReservationsListKind | Unset):
        page_size (int | Unset):
        state (OrganizationsReservationsListState | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedReservationList
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
        cursor=cursor,
        kind=kind,
        page_size=page_size,
        state=state,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: OrganizationsReservationsListKind | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: OrganizationsReservationsListState | Unset = UNSET,
) -> Response[Error | PaginatedReservationList]:
    """
    Args:
        organization_slug (str):
        cursor (str | Unset):
        kind (OrganizationsReservationsListKind | Unset):
        page_size (int | Unset):
        state (OrganizationsReservationsListState | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedReservationList]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        cursor=cursor,
        kind=kind,
        page_size=page_size,
        state=state,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: OrganizationsReservationsListKind | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: OrganizationsReservationsListState | Unset = UNSET,
) -> Error | PaginatedReservationList | None:
    """
    Args:
        organization_slug (str):
        cursor (str | Unset):
        kind (OrganizationsReservationsListKind | Unset):
        page_size (int | Unset):
        state (OrganizationsReservationsListState | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedReservationList
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
            cursor=cursor,
            kind=kind,
            page_size=page_size,
            state=state,
        )
    ).parsed
