"""Cursor pagination: ``paginate(list_function, ...)`` yields every item of every page, following ``next``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from kontor_client.generated.models.error import Error

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    @property
    def results(self) -> Sequence[T_co]: ...

    @property
    def next_(self) -> Any: ...


def next_cursor(next_url: object) -> str | None:
    """The ``cursor`` parameter of a page's ``next`` link (``None`` on the last page)."""
    if not isinstance(next_url, str) or not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("cursor")
    return values[0] if values else None


def paginate(fetch: Callable[..., Page[T] | Error | None], *args: Any, **kwargs: Any) -> Iterator[T]:
    """``paginate(organizations_reservations_list.sync, "acme", client=client, state=...)``: calls the generated
    ``sync`` function page after page, passing the cursor of the previous ``next`` link, and yields the items."""
    cursor: str | None = kwargs.pop("cursor", None)
    while True:
        page = fetch(*args, **kwargs, **({"cursor": cursor} if cursor else {}))
        if page is None:
            return
        if isinstance(page, Error):  # the transport raises ApiError for every error answer before parsing
            raise TypeError(f"an error answer was parsed instead of raised: {page.code}")
        yield from page.results
        cursor = next_cursor(page.next_)
        if cursor is None:
            return
