"""Store profile, token info and order endpoints."""

from __future__ import annotations

import time
from typing import Any

from npf_ecwid.sandbox.errors import not_found
from npf_ecwid.sandbox.factory import ecwid_date
from npf_ecwid.sandbox.order_query import OrderFilter
from npf_ecwid.sandbox.params import envelope, opt_date, paging
from npf_ecwid.sandbox.router import Call, route


@route("GET", "/profile", "read_store_profile")
def get_profile(call: Call) -> dict[str, Any]:
    return call.store.profile()


@route("GET", "/application/token", None)
def get_token_info(call: Call) -> dict[str, Any]:
    """What the official Java client calls `ApplicationTokenRequest` (GET application/token)."""
    return {
        "permissions": sorted(call.grant.scopes),
        "created": ecwid_date(call.grant.created),
        "expires": ecwid_date(time.time() + 10 * 365 * 86400),  # Ecwid tokens do not expire
    }


@route("GET", "/orders", "read_orders")
def search_orders(call: Call) -> dict[str, Any]:
    """`GET /orders`: filters, then `offset`/`limit` over the cached result list."""
    offset, limit = paging(call.query)
    matches = call.store.search_orders(OrderFilter.from_query(call.query))
    return envelope(matches[offset : offset + limit], len(matches), offset, limit)


@route("GET", "/orders/deleted", "read_orders")
def search_deleted_orders(call: Call) -> dict[str, Any]:
    """`GET /orders/deleted`: the store's deleted-items history for orders
    (docs/ecwid/api-reference/rest-api/store-profile/store-reports/get-deleted-items-history.md):
    optional `from_date`/`to_date` bounds on the deletion date (UNIX seconds or Ecwid's date
    formats, inclusive), `offset`/`limit` paging (limit at most 100), the search envelope
    with items `{id, orderId, date}`. `id` is the order's internal id; `orderId` (the string
    id) is what the official Java client reads too (`DeletedOrder.kt`). Oldest first: the
    docs name no order, so clients must not depend on it. Registered before
    `/orders/{order_id}` so "deleted" is not taken for an order id."""
    offset, limit = paging(call.query)
    start, end = opt_date(call.query, "from_date"), opt_date(call.query, "to_date")
    found = [
        {key: entry[key] for key in ("id", "orderId", "date")}
        for entry in call.store.deleted_orders()
        if (start is None or entry["timestamp"] >= start)
        and (end is None or entry["timestamp"] <= end)
    ]
    return envelope(found[offset : offset + limit], len(found), offset, limit)


@route("GET", "/orders/{order_id}", "read_orders")
def get_order(call: Call) -> dict[str, Any]:
    order = call.store.get_order(call.params["order_id"])
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"Order #{call.params['order_id']} not found")
    return order


@route("PUT", "/orders/{order_id}", "update_orders")
def update_order(call: Call) -> dict[str, Any]:
    return call.store.update_order(call.params["order_id"], call.body)


@route("DELETE", "/orders/{order_id}", "update_orders")
def delete_order(call: Call) -> dict[str, Any]:
    """`DELETE /orders/{orderId}` (docs/ecwid/api-reference/rest-api/orders/delete-order.md):
    scope `update_orders`, any of the order's ids, answer `{"deleteCount": 1}`, or
    `{"deleteCount": 0}` when nothing was deleted (the docs' "0 if the item was not
    deleted"; they document no 404 for it)."""
    entry = call.store.delete_order(call.params["order_id"])
    return {"deleteCount": 0 if entry is None else 1}
