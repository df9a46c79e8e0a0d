"""The client against the sandbox (ASGI and real HTTP): paging, filters, reads, writes."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest

from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.ecwid.errors import EcwidBadRequest
from npf_ecwid.ecwid.models import Order, OrderUpdate
from npf_ecwid.ecwid.paging import PAGE_SIZE
from npf_ecwid.sandbox.app import Sandbox
from npf_ecwid.sandbox.store import SandboxStore


def visible(store: SandboxStore) -> list[dict[str, Any]]:
    return [o for o in store.orders() if o["paymentStatus"] != "INCOMPLETE"]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def free_second(store: SandboxStore, field: str, share: float) -> int:
    """A UNIX second near the `share` quantile of `field` that no order has exactly,
    so the filter's boundary inclusivity cannot decide the test."""
    stamps = sorted(o[field] for o in store.orders())
    taken = set(stamps)
    second = stamps[int(len(stamps) * share)]
    while second in taken:
        second += 1
    return second


async def test_search_returns_every_order_exactly_once(
    ecwid: EcwidClient, store: SandboxStore
) -> None:
    expected = sorted(o["id"] for o in visible(store))
    assert len(expected) >= 250
    found = await ecwid.search_orders(OrderQuery())
    assert sorted(o.id for o in found) == expected
    assert ecwid.stats.requests == -(-len(expected) // 100)  # one request per page, no more


class Listed(NamedTuple):
    id: str
    update_timestamp: int | None


async def test_a_converting_search_holds_one_page_of_models_at_a_time(
    ecwid: EcwidClient, store: SandboxStore
) -> None:
    """`search_orders_as` hands each order on as its page is parsed: the result is what
    `search_orders` finds, and the models of a page are gone before the next page's are made,
    so a 100,000-order pull never holds 100,000 models for the garbage collector to scan."""
    alive: set[int] = set()
    most_alive = 0

    def convert(order: Order) -> Listed:
        nonlocal most_alive
        alive.add(id(order))
        weakref.finalize(order, alive.discard, id(order))
        most_alive = max(most_alive, len(alive))
        return Listed(order.id, order.update_timestamp)

    found = await ecwid.search_orders_as(OrderQuery(), convert)
    expected = sorted(o["id"] for o in visible(store))
    assert len(expected) >= 250
    assert sorted(listed.id for listed in found) == expected
    assert most_alive <= PAGE_SIZE


async def test_a_search_leaves_the_garbage_collector_alone_for_other_work(
    ecwid: EcwidClient, store: SandboxStore
) -> None:
    """`serve` runs many flows in threads of one process: a search must not switch the
    collector off or freeze objects process-wide while it pages (it used to `gc.freeze()`
    each page), so other work beside it sees the collector as the process start left it."""
    before = (gc.isenabled(), gc.get_freeze_count())
    seen: list[tuple[bool, int]] = []
    search = asyncio.create_task(ecwid.search_orders(OrderQuery()))
    while not search.done():  # other work on the same loop, between the search's steps
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        await asyncio.sleep(0)
    assert len(await search) >= 250
    assert len(seen) > 4  # it did look while pages were in flight
    assert set(seen) == {before}
    assert (gc.isenabled(), gc.get_freeze_count()) == before


async def test_filters_match_the_stores_own_data(ecwid: EcwidClient, store: SandboxStore) -> None:
    orders = store.orders()
    created_cut = free_second(store, "createTimestamp", 0.4)
    late_created_cut = free_second(store, "createTimestamp", 0.7)
    updated_cut = free_second(store, "updateTimestamp", 0.3)
    some_ids = [o["id"] for o in visible(store)[::37]]
    cases: list[tuple[OrderQuery, list[dict[str, Any]]]] = [
        (
            OrderQuery(payment_statuses=["PAID"]),
            [o for o in orders if o["paymentStatus"] == "PAID"],
        ),
        (
            OrderQuery(
                payment_statuses=["PAID", "AWAITING_PAYMENT"],
                fulfillment_statuses=["AWAITING_PROCESSING", "PROCESSING"],
            ),
            [
                o
                for o in orders
                if o["paymentStatus"] in {"PAID", "AWAITING_PAYMENT"}
                and o["fulfillmentStatus"] in {"AWAITING_PROCESSING", "PROCESSING"}
            ],
        ),
        (
            OrderQuery(payment_statuses=["INCOMPLETE"]),
            [o for o in orders if o["paymentStatus"] == "INCOMPLETE"],
        ),
        (
            OrderQuery(created_from=at(created_cut)),
            [o for o in visible(store) if o["createTimestamp"] >= created_cut],
        ),
        (
            OrderQuery(created_to=at(late_created_cut), updated_from=at(updated_cut)),
            [
                o
                for o in visible(store)
                if o["createTimestamp"] <= late_created_cut and o["updateTimestamp"] >= updated_cut
            ],
        ),
        (OrderQuery(ids=some_ids), [o for o in orders if o["id"] in some_ids]),
    ]
    for query, expected in cases:
        assert expected, f"{query} selects nothing: a vacuous case"
        found = await ecwid.search_orders(query)
        assert sorted(o.id for o in found) == sorted(o["id"] for o in expected), query


async def test_get_and_update_order(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    target = visible(store)[3]
    order = await ecwid.get_order(target["id"])
    assert (order.id, order.internal_id) == (target["id"], target["internalId"])
    assert [item.sku for item in order.items] == [item.get("sku") for item in target["items"]]

    update = OrderUpdate(tracking_number="TRK123", fulfillment_status="SHIPPED")
    result = await ecwid.update_order(target["id"], update)
    assert result.update_count == 1
    assert store.get_order(target["id"])["trackingNumber"] == "TRK123"
    [write] = [w for w in store.write_log if w.path == f"/orders/{target['id']}"]
    assert (write.method, write.body) == (
        "PUT",
        {"trackingNumber": "TRK123", "fulfillmentStatus": "SHIPPED"},
    )


async def test_profile_names_the_store(ecwid: EcwidClient, store: SandboxStore) -> None:
    profile = await ecwid.get_profile()
    assert profile.general_info.store_id == store.store_id
    assert profile.formats_and_units is not None
    assert profile.formats_and_units.order_number_prefix == "ACME-"


async def test_unknown_filter_value_is_a_bad_request(ecwid: EcwidClient) -> None:
    with pytest.raises(EcwidBadRequest, match=r"Ecwid rejected orders search \(400\)") as raised:
        await ecwid.search_orders(OrderQuery(payment_statuses=["NOT_A_STATUS"]))
    assert "paymentStatus" in (raised.value.error_message or "")
    assert ecwid.stats.retries == 0


async def test_token_info_lists_the_scopes(ecwid: EcwidClient) -> None:
    info = await ecwid.get_token_info()
    assert {"read_orders", "update_orders", "read_catalog"} <= set(info.permissions)
