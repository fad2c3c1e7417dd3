from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.price_list_detail import PriceListDetail
from ...types import Response


def _get_kwargs(
    price_list_id: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/catalog/price-lists/{price_list_id}/".format(
            price_list_id=quote(str(price_list_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PriceListDetail | None:
    if response.status_code == 200:
        response_200 = PriceListDetail.from_dict(response.json())

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
) -> Response[Error | PriceListDetail]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    price_list_id: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | PriceListDetail]:
    """Retrieve a published price list with its prices

    Args:
        price_list_id (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PriceListDetail]
    """

    kwargs = _get_kwargs(
        price_list_id=price_list_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    price_list_id: int,
    *,
    client: AuthenticatedClient,
) -> Error | PriceListDetail | None:
    """Retrieve a published price list with its prices

    Args:
        price_list_id (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PriceListDetail
    """

    return sync_detailed(
        price_list_id=price_list_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    price_list_id: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | PriceListDetail]:
    """Retrieve a published price list with its prices

    Args:
        price_list_id (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PriceListDetail]
    """

    kwargs = _get_kwargs(
        price_list_id=price_list_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    price_list_id: int,
    *,
    client: AuthenticatedClient,
) -> Error | PriceListDetail | None:
    """Retrieve a published price list with its prices

    Args:
        price_list_id (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PriceListDetail
    """

    return (
        await asyncio_detailed(
            price_list_id=price_list_id,
            client=client,
        )
    ).parsed
