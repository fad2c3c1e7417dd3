from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_key_create_request import ApiKeyCreateRequest
from ...models.api_key_created import ApiKeyCreated
from ...types import UNSET, Response, Unset


def _get_kwargs(
    organization_slug: str,
    *,
    body: ApiKeyCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/organizations/{organization_slug}/api-keys/".format(
            organization_slug=quote(str(organization_slug), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ApiKeyCreated | None:
    if response.status_code == 201:
        response_201 = ApiKeyCreated.from_dict(response.json())

        return response_201

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ApiKeyCreated]:
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
    body: ApiKeyCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiKeyCreated]:
    """
    Args:
        organization_slug (str):
        idempotency_key (str | Unset):
        body (ApiKeyCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCreated]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: ApiKeyCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> ApiKeyCreated | None:
    """
    Args:
        organization_slug (str):
        idempotency_key (str | Unset):
        body (ApiKeyCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCreated
    """

    return sync_detailed(
        organization_slug=organization_slug,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: ApiKeyCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiKeyCreated]:
    """
    Args:
        organization_slug (str):
        idempotency_key (str | Unset):
        body (ApiKeyCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCreated]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    *,
    client: AuthenticatedClient,
    body: ApiKeyCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> ApiKeyCreated | None:
    """
    Args:
        organization_slug (str):
        idempotency_key (str | Unset):
        body (ApiKeyCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCreated
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
