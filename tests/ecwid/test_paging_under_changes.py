"""Offset paging while the store changes: no order that stayed in the result set may be lost.

Found by the chaos run (an ACME order never reached the warehouse): the first order pull asks
Ecwid for PAID orders page by page; a customer cancelling orders between two page requests
takes them out of the result set, every later order moves up by as many places, and the ones
that crossed the page boundary were on no page. They were old orders, so no later incremental
pull (updatedFrom = watermark - overlap) ever saw them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.sandbox.app import Sandbox, create_app
from npf_ecwid.sandbox.store import SandboxStore
from tests.ecwid.conftest import STORE_ID

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def cancelling_between_pages(app: ASGI, store: SandboxStore, per_page: int) -> ASGI:
    """The sandbox app, plus a customer who cancels `per_page` of the newest PAID orders just
    before each order page after the first is served (an admin edit, not an API write)."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"").decode()
        if (
            scope["type"] == "http"
            and scope["path"].endswith("/orders")
            and "offset=0" not in query
        ):
            with store.lock:
                paid = [o for o in store.orders() if o["paymentStatus"] == "PAID"]
                paid.sort(key=lambda o: (o["createTimestamp"], o["internalId"]), reverse=True)
                for order in paid[:per_page]:
                    store.edit_order(order["id"], {"paymentStatus": "CANCELLED"})
        await app(scope, receive, send)

    return wrapped


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
