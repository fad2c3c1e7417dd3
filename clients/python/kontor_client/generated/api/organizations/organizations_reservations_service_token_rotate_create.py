from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.service_token import ServiceToken
from ...types import Response


def _get_kwargs(
    organization_slug: str,
    reservation_pk: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/organizations/{organization_slug}/reservations/{reservation_pk}/service-token/rotate/".format(
            organization_slug=quote(str(organization_slug), safe=""),
            reservation_pk=quote(str(reservation_pk), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | ServiceToken | None:
    if response.status_code == 200:
        response_200 = ServiceToken.from_dict(response.json())

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
) -> Response[Error | ServiceToken]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    organization_slug: str,
    reservation_pk: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | ServiceToken]:
    """Replace the service endpoint's token (the old one stops working)

     Answers the new token. Servers started from now on boot with it; running servers read it, sealed,
    from their metadata and switch within about a minute.

    Args:
        organization_slug (str):
        reservation_pk (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ServiceToken]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        reservation_pk=reservation_pk,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    reservation_pk: int,
    *,
    client: AuthenticatedClient,
) -> Error | ServiceToken | None:
    """Replace the service endpoint's token (the old one stops working)

     Answers the new token. Servers started from now on boot with it; running servers read it, sealed,
    from their metadata and switch within about a minute.

    Args:
        organization_slug (str):
        reservation_pk (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ServiceToken
    """

    return sync_detailed(
        organization_slug=organization_slug,
        reservation_pk=reservation_pk,
        client=client,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    reservation_pk: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | ServiceToken]:
    """Replace the service endpoint's token (the old one stops working)

     Answers the new token. Servers started from now on boot with it; running servers read it, sealed,
    from their metadata and switch within about a minute.

    Args:
        organization_slug (str):
        reservation_pk (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ServiceToken]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        reservation_pk=reservation_pk,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    reservation_pk: int,
    *,
    client: AuthenticatedClient,
) -> Error | ServiceToken | None:
    """Replace the service endpoint's token (the old one stops working)

     Answers the new token. Servers started from now on boot with it; running servers read it, sealed,
    from their metadata and switch within about a minute.

    Args:
        organization_slug (str):
        reservation_pk (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ServiceToken
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            reservation_pk=reservation_pk,
            client=client,
        )
    ).parsed
