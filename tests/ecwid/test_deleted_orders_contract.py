"""`EcwidClient.search_deleted_orders` against the sandbox: every page, date bounds, typed
entries. Doc page: docs/ecwid/api-reference/rest-api/store-profile/store-reports/
get-deleted-items-history.md."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.sandbox.store import SandboxStore

T0 = 1_780_000_000


def delete_many(store: SandboxStore, count: int) -> list[dict]:
    """Delete `count` orders, one second apart from T0 (the store's clock is pinned)."""
    orders = store.orders()[:count]
    for n, order in enumerate(orders):
        store.clock = lambda n=n: float(T0 + n)
        store.delete_order(order["id"])
    return orders


async def test_every_deletion_comes_back_typed_across_pages(
    ecwid: EcwidClient, store: SandboxStore
) -> None:
    gone = delete_many(store, 230)  # three pages
    found = await ecwid.search_deleted_orders()
    assert sorted(d.order_id for d in found) == sorted(o["id"] for o in gone)
    first = next(d for d in found if d.order_id == gone[0]["id"])
    assert first == DeletedOrder(
        id=gone[0]["internalId"],
        order_id=gone[0]["id"],
        date=datetime.fromtimestamp(T0, tz=UTC),
    )
    assert ecwid.stats.requests == 3


async def test_date_bounds_are_sent_as_unix_seconds(
    ecwid: EcwidClient, store: SandboxStore
) -> None:
    gone = delete_many(store, 10)
    found = await ecwid.search_deleted_orders(
        datetime.fromtimestamp(T0 + 3, tz=UTC), datetime.fromtimestamp(T0 + 5, tz=UTC)
    )
    assert sorted(d.order_id for d in found) == sorted(o["id"] for o in gone[3:6])
    with pytest.raises(ValueError, match="timezone-aware"):
        await ecwid.search_deleted_orders(datetime(2026, 1, 1))
