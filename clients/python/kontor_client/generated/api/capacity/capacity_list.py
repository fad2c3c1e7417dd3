import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.calendar_row import CalendarRow
from ...models.capacity_list_kind import CapacityListKind
from ...models.capacity_list_step import CapacityListStep
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    ends_at: datetime.datetime,
    gpu_model: str,
    kind: CapacityListKind | Unset = CapacityListKind.RESERVED,
    starts_at: datetime.datetime,
    step: CapacityListStep | Unset = CapacityListStep.DAY,
    zone: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_ends_at = ends_at.isoformat()
    params["ends_at"] = json_ends_at

    params["gpu_model"] = gpu_model

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    json_starts_at = starts_at.isoformat()
    params["starts_at"] = json_starts_at

    json_step: str | Unset = UNSET
    if not isinstance(step, Unset):
        json_step = step.value

    params["step"] = json_step

    params["zone"] = zone

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/capacity/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[CalendarRow] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = CalendarRow.from_dict(response_200_item_data)

            response_200.append(response_200_item)

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
) -> Response[Error | list[CalendarRow]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime,
    gpu_model: str,
    kind: CapacityListKind | Unset = CapacityListKind.RESERVED,
    starts_at: datetime.datetime,
    step: CapacityListStep | Unset = CapacityListStep.DAY,
    zone: str,
) -> Response[Error | list[CalendarRow]]:
    """Free GPUs per hour or per day in a zone for a GPU model (signed-in users and keys).

    Args:
        ends_at (datetime.datetime):
        gpu_model (str):
        kind (CapacityListKind | Unset):  Default: CapacityListKind.RESERVED.
        starts_at (datetime.datetime):
        step (CapacityListStep | Unset):  Default: CapacityListStep.DAY.
        zone (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[CalendarRow]]
    """

    kwargs = _get_kwargs(
        ends_at=ends_at,
        gpu_model=gpu_model,
        kind=kind,
        starts_at=starts_at,
        step=step,
        zone=zone,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime,
    gpu_model: str,
    kind: CapacityListKind | Unset = CapacityListKind.RESERVED,
    starts_at: datetime.datetime,
    step: CapacityListStep | Unset = CapacityListStep.DAY,
    zone: str,
) -> Error | list[CalendarRow] | None:
    """Free GPUs per hour or per day in a zone for a GPU model (signed-in users and keys).

    Args:
        ends_at (datetime.datetime):
        gpu_model (str):
        kind (CapacityListKind | Unset):  Default: CapacityListKind.RESERVED.
        starts_at (datetime.datetime):
        step (CapacityListStep | Unset):  Default: CapacityListStep.DAY.
        zone (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[CalendarRow]
    """

    return sync_detailed(
        client=client,
        ends_at=ends_at,
        gpu_model=gpu_model,
        kind=kind,
        starts_at=starts_at,
        step=step,
        zone=zone,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime,
    gpu_model: str,
    kind: CapacityListKind | Unset = CapacityListKind.RESERVED,
    starts_at: datetime.datetime,
    step: CapacityListStep | Unset = CapacityListStep.DAY,
    zone: str,
) -> Response[Error | list[CalendarRow]]:
    """Free GPUs per hour or per day in a zone for a GPU model (signed-in users and keys).

    Args:
        ends_at (datetime.datetime):
        gpu_model (str):
        kind (CapacityListKind | Unset):  Default: CapacityListKind.RESERVED.
        starts_at (datetime.datetime):
        step (CapacityListStep | Unset):  Default: CapacityListStep.DAY.
        zone (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[CalendarRow]]
    """

    kwargs = _get_kwargs(
        ends_at=ends_at,
        gpu_model=gpu_model,
        kind=kind,
        starts_at=starts_at,
        step=step,
        zone=zone,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    ends_at: datetime.datetime,
    gpu_model: str,
    kind: CapacityListKind | Unset = CapacityListKind.RESERVED,
    starts_at: datetime.datetime,
    step: CapacityListStep | Unset = CapacityListStep.DAY,
    zone: str,
) -> Error | list[CalendarRow] | None:
    """Free GPUs per hour or per day in a zone for a GPU model (signed-in users and keys).

    Args:
        ends_at (datetime.datetime):
        gpu_model (str):
        kind (CapacityListKind | Unset):  Default: CapacityListKind.RESERVED.
        starts_at (datetime.datetime):
        step (CapacityListStep | Unset):  Default: CapacityListStep.DAY.
        zone (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[CalendarRow]
    """

    return (
        await asyncio_detailed(
            client=client,
            ends_at=ends_at,
            gpu_model=gpu_model,
            kind=kind,
            starts_at=starts_at,
            step=step,
            zone=zone,
        )
    ).parsed
