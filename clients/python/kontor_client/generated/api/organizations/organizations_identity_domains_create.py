from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.email_domain import EmailDomain
from ...models.email_domain_input_request import EmailDomainInputRequest
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    organization_slug: str,
    *,
    body: EmailDomainInputRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/organizations/{organization_slug}/identity/domains/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EmailDomain | Error | None:
    if response.status_code == 201:
        response_201 = EmailDomain.from_dict(response.json())

        return response_201

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

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[EmailDomain | Error]:
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
    body: EmailDomainInputRequest,
) -> Response[EmailDomain | Error]:
    """Claim a domain (publish the TXT record it names; the check starts at once)

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):
        body (EmailDomainInputRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EmailDomain | Error]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: EmailDomainInputRequest,
) -> EmailDomain | Error | None:
    """Claim a domain (publish the TXT record it names; the check starts at once)

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):
        body (EmailDomainInputRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EmailDomain | Error
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: EmailDomainInputRequest,
) -> Response[EmailDomain | Error]:
    """Claim a domain (publish the TXT record it names; the check starts at once)

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):
        body (EmailDomainInputRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EmailDomain | Error]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: EmailDomainInputRequest,
) -> EmailDomain | Error | None:
    """Claim a domain (publish the TXT record it names; the check starts at once)

     An API key reaches identity only while the person who created it is an owner of the organization.

    Args:
        organization_slug (str):
        body (EmailDomainInputRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EmailDomain | Error
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
            body=body,
        )
    ).parsed
