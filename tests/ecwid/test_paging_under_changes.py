"""Offset paging while the store changes: no order that stayed in the result set may be lost.

Found by the chaos run (an ACME order never reached the warehouse): the first order pull asks
Ecwid for PAID orders page by page; a customer cancelling orders between two page requests
takes them out of the result set, every later order moves up by as many places, and the ones
that crossed the page boundary were on no page. They were old orders, so no later incremental
pull (updatedFrom = watermark - overlap) ever saw them.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.sandbox.app import Sandbox, create_app
from npf_ecwid.sandbox.store import SandboxStore, generate_store
from tests.ecwid.conftest import STORE_ID

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def between_pages(app: ASGI, store: SandboxStore, path: str, change: Callable[[], None]) -> ASGI:
    """The sandbox app, plus `change()` (under the store's lock) just before each page of
    `path` after the first is served."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"").decode()
        if scope["type"] == "http" and scope["path"].endswith(path) and "offset=0" not in query:
            with store.lock:
                change()
        await app(scope, receive, send)

    return wrapped


def cancelling_between_pages(app: ASGI, store: SandboxStore, per_page: int) -> ASGI:
    """The sandbox app, plus a customer who cancels `per_page` of the newest PAID orders just
    before each order page after the first is served (an admin edit, not an API write)."""

    def cancel() -> None:
        paid = [o for o in store.orders() if o["paymentStatus"] == "PAID"]
        paid.sort(key=lambda o: (o["createTimestamp"], o["internalId"]), reverse=True)
        for order in paid[:per_page]:
            store.edit_order(order["id"], {"paymentStatus": "CANCELLED"})

    return between_pages(app, store, "/orders", cancel)


async def test_orders_leaving_the_result_set_while_paging_hide_no_other_order(
    sandbox: Sandbox, store: SandboxStore, token: SecretStr
) -> None:
    before = {o["id"] for o in store.orders() if o["paymentStatus"] == "PAID"}
    assert len(before) > 200  # at least three pages
    app = cancelling_between_pages(create_app(sandbox), store, per_page=3)
    transport = httpx.ASGITransport(app=app)
    async with EcwidClient(
        base_url="http://sandbox.test/api/v3", store_id=STORE_ID, token=token, transport=transport
    ) as ecwid:
        found = {o.id for o in await ecwid.search_orders(OrderQuery(payment_statuses=["PAID"]))}
    still_paid = {o["id"] for o in store.orders() if o["paymentStatus"] == "PAID"}
    assert still_paid < before  # the customer did cancel orders meanwhile
    assert sorted(still_paid - found) == []  # every order that stayed PAID was listed


def selling_between_pages(app: ASGI, store: SandboxStore, per_page: int) -> ASGI:
    """The sandbox app, plus stock changes (checkouts elsewhere, a merchant's edit) to
    `per_page` products picked at random before each product page after the first."""
    changed: set[int] = set()
    pick = random.Random(7).sample

    def sell() -> None:
        fresh = [p for p in store.products() if p["id"] not in changed and p.get("sku")]
        for product in pick(fresh, per_page):
            changed.add(product["id"])
            store.set_stock(product["sku"], 7)

    return between_pages(app, store, "/products", sell)


async def test_products_changing_while_paging_are_each_listed_once(token: SecretStr) -> None:
    """Ecwid's default product order (`RELEVANCE`) is unspecified, and `UPDATED_TIME_*` moves
    a product whenever its stock changes; the client pages by `ADDED_TIME_ASC`, where a stock
    change leaves a product in place (the sandbox serves `RELEVANCE` as recently changed
    first, so the changed products would jump over the pages already read)."""
    store = generate_store(STORE_ID, orders=10, seed=3, products=400)
    sandbox = Sandbox([store])
    sandbox.add_token(token.get_secret_value(), STORE_ID)
    all_ids = sorted(p["id"] for p in store.products())
    app = selling_between_pages(create_app(sandbox), store, per_page=4)
    async with EcwidClient(
        base_url="http://sandbox.test/api/v3",
        store_id=STORE_ID,
        token=token,
        transport=httpx.ASGITransport(app=app),
    ) as ecwid:
        found = [p.id for p in await ecwid.search_products()]
    assert sorted(found) == all_ids  # every product, none twice
    assert len(found) == len(set(found))
    assert sum(p.get("quantity") == 7 for p in store.products()) >= 16  # it did change
