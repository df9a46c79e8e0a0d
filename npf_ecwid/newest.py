"""The newest copy per id: one rule for every place that can see an item twice.

Offset paging over a live result set lists an item again when it changed while we paged
(`ecwid/client.py`), so the orders the pull normalises, the orders it quarantines as unreadable
and the open orders the stock sync counts can each hold two copies of one order. Consumers
upsert by id, so exactly one copy must win, and the same one everywhere: the one with the newer
`updateTimestamp` (Ecwid moves it on every change: docs/ecwid/api-reference/rest-api/orders/
search-orders.md, `updateTimestamp`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")

_ID = attrgetter("id")


def _update_timestamp(item: Any) -> Any:
    return getattr(item, "update_timestamp", None)


def newest_by_id(
    items: Iterable[T],
    key: Callable[[T], Hashable] = _ID,
    stamp: Callable[[T], Any] = _update_timestamp,
) -> list[T]:
    """Each `key` (default: `.id`) once, at the position it was first seen; of two copies the
    one with the newer `stamp` (default: `.update_timestamp`) wins, a copy without a stamp
    loses to one with, and on a tie the later copy wins (it was read later, so it is at least
    as fresh)."""
    best: dict[Hashable, tuple[T, Any]] = {}
    for item in items:
        k, s = key(item), stamp(item)
        previous = best.get(k)
        if previous is not None:
            before = previous[1]
            if before is not None and (s is None or s < before):
                continue
        best[k] = (item, s)
    return [item for item, _ in best.values()]
