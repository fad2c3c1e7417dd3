from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.catalog_item_detail import CatalogItemDetail
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    item_slug: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/catalog/items/{item_slug}/".format(
            item_slug=quote(str(item_slug), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CatalogItemDetail | Error | None:
    if response.status_code == 200:
        response_200 = CatalogItemDetail.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CatalogItemDetail | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    item_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[CatalogItemDetail | Error]:
    """Retrieve a catalog item with its versions

    Args:
        item_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CatalogItemDetail | Error]
    """

    kwargs = _get_kwargs(
        item_slug=item_slug,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    item_slug: str,
    *,
    client: AuthenticatedClient,
) -> CatalogItemDetail | Error | None:
    """Retrieve a catalog item with its versions

    Args:
        item_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CatalogItemDetail | Error
    """

    return sync_detailed(
        item_slug=item_slug,
        client=client,
    ).parsed


async def asyncio_detailed(
    item_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[CatalogItemDetail | Error]:
    """Retrieve a catalog item with its versions

    Args:
        item_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CatalogItemDetail | Error]
    """

    kwargs = _get_kwargs(
        item_slug=item_slug,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    item_slug: str,
    *,
    client: AuthenticatedClient,
) -> CatalogItemDetail | Error | None:
    """Retrieve a catalog item with its versions

    Args:
        item_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CatalogItemDetail | Error
    """

    return (
        await asyncio_detailed(
            item_slug=item_slug,
            client=client,
        )
    ).parsed
