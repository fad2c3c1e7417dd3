from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.membership import Membership
from ...models.patched_role_request import PatchedRoleRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    organization_slug: str,
    id: int,
    *,
    body: PatchedRoleRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/organizations/{organization_slug}/members/{id}/".format(
            organization_slug=quote(str(organization_slug), safe=""),
            id=quote(str(id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Membership | None:
    if response.status_code == 200:
        response_200 = Membership.from_dict(response.json())

        return response_200

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Membership]:
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
    body: PatchedRoleRequest | Unset = UNSET,
) -> Response[Membership]:
    """Change a member's role

     The organization's members: list (everyone), change a role and remove (owners and admins), leave
    (anyone).

    Args:
        organization_slug (str):
        id (int):
        body (PatchedRoleRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Membership]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        id=id,
        body=body,
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
    body: PatchedRoleRequest | Unset = UNSET,
) -> Membership | None:
    """Change a member's role

     The organization's members: list (everyone), change a role and remove (owners and admins), leave
    (anyone).

    Args:
        organization_slug (str):
        id (int):
        body (PatchedRoleRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Membership
    """

    return sync_detailed(
        organization_slug=organization_slug,
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: PatchedRoleRequest | Unset = UNSET,
) -> Response[Membership]:
    """Change a member's role

     The organization's members: list (everyone), change a role and remove (owners and admins), leave
    (anyone).

    Args:
        organization_slug (str):
        id (int):
        body (PatchedRoleRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Membership]
    """

    kwargs = _get_kwargs(
        organization_slug=organization_slug,
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    organization_slug: str,
    id: int,
    *,
    client: AuthenticatedClient,
    body: PatchedRoleRequest | Unset = UNSET,
) -> Membership | None:
    """Change a member's role

     The organization's members: list (everyone), change a role and remove (owners and admins), leave
    (anyone).

    Args:
        organization_slug (str):
        id (int):
        body (PatchedRoleRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Membership
    """

    return (
        await asyncio_detailed(
            organization_slug=organization_slug,
            id=id,
            client=client,
            body=body,
        )
    ).parsed
