import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.paginated_audit_event_list import PaginatedAuditEventList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    action: str | Unset = UNSET,
    action_prefix: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    organization: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    target_type: str | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["action"] = action

    params["action_prefix"] = action_prefix

    params["cursor"] = cursor

    params["organization"] = organization

    params["page_size"] = page_size

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    params["target_type"] = target_type

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/ops/audit-events/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PaginatedAuditEventList | None:
    if response.status_code == 200:
        response_200 = PaginatedAuditEventList.from_dict(response.json())

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
) -> Response[Error | PaginatedAuditEventList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    action: str | Unset = UNSET,
    action_prefix: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    organization: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    target_type: str | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Response[Error | PaginatedAuditEventList]:
    """The whole platform's audit log, for cloud operators.

    Args:
        action (str | Unset):
        action_prefix (str | Unset):
        cursor (str | Unset):
        organization (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        target_type (str | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedAuditEventList]
    """

    kwargs = _get_kwargs(
        action=action,
        action_prefix=action_prefix,
        cursor=cursor,
        organization=organization,
        page_size=page_size,
        since=since,
        target_type=target_type,
        until=until,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    action: str | Unset = UNSET,
    action_prefix: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    organization: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    target_type: str | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Error | PaginatedAuditEventList | None:
    """The whole platform's audit log, for cloud operators.

    Args:
        action (str | Unset):
        action_prefix (str | Unset):
        cursor (str | Unset):
        organization (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        target_type (str | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedAuditEventList
    """

    return sync_detailed(
        client=client,
        action=action,
        action_prefix=action_prefix,
        cursor=cursor,
        organization=organization,
        page_size=page_size,
        since=since,
        target_type=target_type,
        until=until,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    action: str | Unset = UNSET,
    action_prefix: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    organization: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    target_type: str | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Response[Error | PaginatedAuditEventList]:
    """The whole platform's audit log, for cloud operators.

    Args:
        action (str | Unset):
        action_prefix (str | Unset):
        cursor (str | Unset):
        organization (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        target_type (str | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedAuditEventList]
    """

    kwargs = _get_kwargs(
        action=action,
        action_prefix=action_prefix,
        cursor=cursor,
        organization=organization,
        page_size=page_size,
        since=since,
        target_type=target_type,
        until=until,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    action: str | Unset = UNSET,
    action_prefix: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    organization: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    target_type: str | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Error | PaginatedAuditEventList | None:
    """The whole platform's audit log, for cloud operators.

    Args:
        action (str | Unset):
        action_prefix (str | Unset):
        cursor (str | Unset):
        organization (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        target_type (str | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedAuditEventList
    """

    return (
        await asyncio_detailed(
            client=client,
            action=action,
            action_prefix=action_prefix,
            cursor=cursor,
            organization=organization,
            page_size=page_size,
            since=since,
            target_type=target_type,
            until=until,
        )
    ).parsed
