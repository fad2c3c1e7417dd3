from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.identity_provider import IdentityProvider
from ...types import Response


def _get_kwargs(
    organization_slug: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/organizations/{organization_slug}/identity/provider/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | IdentityProvider | None:
    if response.status_code == 200:
        response_200 = IdentityProvider.from_dict(response.json())

        return response_200

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
) -> Response[Error | IdentityProvider]:
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
) -> Response[Error | IdentityProvider]:
    """The organization's identity provider

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | IdentityProvider]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
) -> Error | IdentityProvider | None:
    """The organization's identity provider

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | IdentityProvider
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[Error | IdentityProvider]:
    """The organization's identity provider

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | IdentityProvider]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
) -> Error | IdentityProvider | None:
    """The organization's identity provider

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | IdentityProvider
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
        )
    ).parsed
