from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.extend_request import ExtendRequest
from ...models.reservation import Reservation
from ...types import UNSET, Response, Unset


def _get_kwargs(
    organization_slug: str,
    id: int,
    *,
    body: ExtendRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/organizations/{organization_slug}/reservations/{id}/extend/".format(
            organization_slug=quote(str(organization_slug), safe=""),
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | Reservation | None:
    if response.status_code == 200:
        response_200 = Reservation.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | Reservation]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: ExtendRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | Reservation]:
    """Extend a reserved window

     Idempotent with an `Idempotency-Key` header (at most 255 printable characters): a retry with the
    same key and body answers with the original status and body for 24 hours; the same key with another
    body is refused (422), and a retry while the first request is still running answers 409 with `Retry-
    After`.

    Args:
        organization_slug (str):
        id (int):
        idempotency_key (str | Unset):
        body (ExtendRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Reservation]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        id=id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: ExtendRequest,
    idempotency_key: str | Unset = UNSET,
) -> Error | Reservation | None:
    """Extend a reserved window

     Idempotent with an `Idempotency-Key` header (at most 255 printable characters): a retry with the
    same key and body answers with the original status and body for 24 hours; the same key with another
    body is refused (422), and a retry while the first request is still running answers 409 with `Retry-
    After`.

    Args:
        organization_slug (str):
        id (int):
        idempotency_key (str | Unset):
        body (ExtendRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Reservation
    """

    return sync_detailed(
        organization_slug=organization_slug,
        id=id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: ExtendRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | Reservation]:
    """Extend a reserved window

     Idempotent with an `Idempotency-Key` header (at most 255 printable characters): a retry with the
    same key and body answers with the original status and body for 24 hours; the same key with another
    body is refused (422), and a retry while the first request is still running answers 409 with `Retry-
    After`.

    Args:
        organization_slug (str):
        id (int):
        idempotency_key (str | Unset):
        body (ExtendRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Reservation]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        id=id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: ExtendRequest,
    idempotency_key: str | Unset = UNSET,
) -> Error | Reservation | None:
    """Extend a reserved window

     Idempotent with an `Idempotency-Key` header (at most 255 printable characters): a retry with the
    same key and body answers with the original status and body for 24 hours; the same key with another
    body is refused (422), and a retry while the first request is still running answers 409 with `Retry-
    After`.

    Args:
        organization_slug (str):
        id (int):
        idempotency_key (str | Unset):
        body (ExtendRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Reservation
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            id=id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
