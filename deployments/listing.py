"""Paging through Prefect's listings (flow runs, deployments, concurrency limits).

Why one helper: Prefect's `read_*` calls return at most `limit` items and the server caps a
page, so every listing that must be complete pages with `offset` until a short page. Prefect
3.9.1's server answers 422 to `limit=None`, so a limit is always sent (and, for flow runs and
deployments, a sort: without a stable order, offsets can skip or repeat items).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import TypeVar

T = TypeVar("T")
PAGE = 200

# `fetch(limit, offset)`: one page of the listing, e.g.
# `lambda limit, offset: prefect.read_flow_runs(..., sort=..., limit=limit, offset=offset)`.
Fetch = Callable[[int, int], Awaitable[Sequence[T]]]


async def pages(
    fetch: Fetch[T], *, page_size: int = PAGE, max_items: int | None = None
) -> AsyncIterator[list[T]]:
    """Yield the listing page by page until a short page (or `max_items` have been read).
    Break out early when the caller has what it needs; the rest is never fetched."""
    offset = 0
    while max_items is None or offset < max_items:
        page = list(await fetch(page_size, offset))
        yield page
        offset += len(page)
        if len(page) < page_size:
            return


async def every_item(fetch: Fetch[T], *, page_size: int = PAGE) -> list[T]:
    """The whole listing as one list."""
    items: list[T] = []
    async with aclosing(pages(fetch, page_size=page_size)) as listing:
        async for page in listing:
            items += page
    return items
