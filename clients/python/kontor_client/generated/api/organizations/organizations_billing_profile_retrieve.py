from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.billing_profile import BillingProfile
from ...types import Response


def _get_kwargs(
    organization_slug: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/organizations/{organization_slug}/billing-profile/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BillingProfile | None:
    if response.status_code == 200:
        response_200 = BillingProfile.from_dict(response.json())

        return response_200

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BillingProfile]:
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
) -> Response[BillingProfile]:
    """The organization's e-invoicing profile

     Read (billing view) and replace (billing manage) the organization's e-invoicing profile.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BillingProfile]
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
) -> BillingProfile | None:
    """The organization's e-invoicing profile

     Read (billing view) and replace (billing manage) the organization's e-invoicing profile.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BillingProfile
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
) -> Response[BillingProfile]:
    """The organization's e-invoicing profile

     Read (billing view) and replace (billing manage) the organization's e-invoicing profile.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BillingProfile]
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
) -> BillingProfile | None:
    """The organization's e-invoicing profile

     Read (billing view) and replace (billing manage) the organization's e-invoicing profile.

    Args:
        organization_slug (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BillingProfile
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
        )
    ).parsed
