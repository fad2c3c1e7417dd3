from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.catalog_items_list_kind import CatalogItemsListKind
from ...models.catalog_items_list_license import CatalogItemsListLicense
from ...models.catalog_items_list_use_case import CatalogItemsListUseCase
from ...models.error import Error
from ...models.paginated_catalog_item_list import PaginatedCatalogItemList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    cursor: str | Unset = UNSET,
    gpu_model: Any | Unset = UNSET,
    kind: CatalogItemsListKind | Unset = UNSET,
    license_: CatalogItemsListLicense | Unset = UNSET,
    page_size: int | Unset = UNSET,
    q: Any | Unset = UNSET,
    use_case: CatalogItemsListUseCase | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    params["gpu_model"] = gpu_model

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    json_license_: str | Unset = UNSET
    if not isinstance(license_, Unset):
        json_license_ = license_.value

    params["license"] = json_license_

    params["page_size"] = page_size

    params["q"] = q

    json_use_case: str | Unset = UNSET
    if not isinstance(use_case, Unset):
        json_use_case = use_case.value

    params["use_case"] = json_use_case

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/catalog/items/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PaginatedCatalogItemList | None:
    if response.status_code == 200:
        response_200 = PaginatedCatalogItemList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

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
) -> Response[Error | PaginatedCatalogItemList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    gpu_model: Any | Unset = UNSET,
    kind: CatalogItemsListKind | Unset = UNSET,
    license_: CatalogItemsListLicense | Unset = UNSET,
    page_size: int | Unset = UNSET,
    q: Any | Unset = UNSET,
    use_case: CatalogItemsListUseCase | Unset = UNSET,
) -> Response[Error | PaginatedCatalogItemList]:
    """List catalog items

     Published NVIDIA software, filtered by words, use case, license, kind and GPU model. Public.

    Args:
        cursor (str | Unset):
        gpu_model (Any | Unset):
        kind (CatalogItemsListKind | Unset):
        license_ (CatalogItemsListLicense | Unset):
        page_size (int | Unset):
        q (Any | Unset):
        use_case (CatalogItemsListUseCase | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedCatalogItemList]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        gpu_model=gpu_model,
        kind=kind,
        license_=license_,
        page_size=page_size,
        q=q,
        use_case=use_case,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    gpu_model: Any | Unset = UNSET,
    kind: CatalogItemsListKind | Unset = UNSET,
    license_: CatalogItemsListLicense | Unset = UNSET,
    page_size: int | Unset = UNSET,
    q: Any | Unset = UNSET,
    use_case: CatalogItemsListUseCase | Unset = UNSET,
) -> Error | PaginatedCatalogItemList | None:
    """List catalog items

     Published NVIDIA software, filtered by words, use case, license, kind and GPU model. Public.

    Args:
        cursor (str | Unset):
        gpu_model (Any | Unset):
        kind (CatalogItemsListKind | Unset):
        license_ (CatalogItemsListLicense | Unset):
        page_size (int | Unset):
        q (Any | Unset):
        use_case (CatalogItemsListUseCase | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedCatalogItemList
    """

    return sync_detailed(
        client=client,
        cursor=cursor,
        gpu_model=gpu_model,
        kind=kind,
        license_=license_,
        page_size=page_size,
        q=q,
        use_case=use_case,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    gpu_model: Any | Unset = UNSET,
    kind: CatalogItemsListKind | Unset = UNSET,
    license_: CatalogItemsListLicense | Unset = UNSET,
    page_size: int | Unset = UNSET,
    q: Any | Unset = UNSET,
    use_case: CatalogItemsListUseCase | Unset = UNSET,
) -> Response[Error | PaginatedCatalogItemList]:
    """List catalog items

     Published NVIDIA software, filtered by words, use case, license, kind and GPU model. Public.

    Args:
        cursor (str | Unset):
        gpu_model (Any | Unset):
        kind (CatalogItemsListKind | Unset):
        license_ (CatalogItemsListLicense | Unset):
        page_size (int | Unset):
        q (Any | Unset):
        use_case (CatalogItemsListUseCase | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaginatedCatalogItemList]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        gpu_model=gpu_model,
        kind=kind,
        license_=license_,
        page_size=page_size,
        q=q,
        use_case=use_case,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    gpu_model: Any | Unset = UNSET,
    kind: CatalogItemsListKind | Unset = UNSET,
    license_: CatalogItemsListLicense | Unset = UNSET,
    page_size: int | Unset = UNSET,
    q: Any | Unset = UNSET,
    use_case: CatalogItemsListUseCase | Unset = UNSET,
) -> Error | PaginatedCatalogItemList | None:
    """List catalog items

     Published NVIDIA software, filtered by words, use case, license, kind and GPU model. Public.

    Args:
        cursor (str | Unset):
        gpu_model (Any | Unset):
        kind (CatalogItemsListKind | Unset):
        license_ (CatalogItemsListLicense | Unset):
        page_size (int | Unset):
        q (Any | Unset):
        use_case (CatalogItemsListUseCase | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaginatedCatalogItemList
    """

    return (
        await asyncio_detailed(
            client=client,
            cursor=cursor,
            gpu_model=gpu_model,
            kind=kind,
            license_=license_,
            page_size=page_size,
            q=q,
            use_case=use_case,
        )
    ).parsed
