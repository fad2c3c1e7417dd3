from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.region import Region
from ...types import Response


def _get_kwargs(
    region_slug: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/catalog/regions/{region_slug}/".format(
            region_slug=quote(str(region_slug), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | Region | None:
    if response.status_code == 200:
        response_200 = Region.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | Region]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    region_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[Error | Region]:
    """Retrieve a region

    Args:
        region_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Region]
    """

    kwargs = _get_kwargs(
        region_slug=region_slug,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    region_slug: str,
    *,
    client: AuthenticatedClient,
) -> Error | Region | None:
    """Retrieve a region

    Args:
        region_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Region
    """

    return sync_detailed(
        region_slug=region_slug,
        client=client,
    ).parsed


async def asyncio_detailed(
    region_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[Error | Region]:
    """Retrieve a region

    Args:
        region_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Region]
    """

    kwargs = _get_kwargs(
        region_slug=region_slug,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    region_slug: str,
    *,
    client: AuthenticatedClient,
) -> Error | Region | None:
    """Retrieve a region

    Args:
        region_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Region
    """

    return (
        await asyncio_detailed(
            region_slug=region_slug,
            client=client,
        )
    ).parsed
