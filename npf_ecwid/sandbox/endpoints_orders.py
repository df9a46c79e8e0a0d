"""Store profile, token info and order endpoints."""

from __future__ import annotations

import time
from typing import Any

from npf_ecwid.sandbox.errors import not_found
from npf_ecwid.sandbox.factory import ecwid_date
from npf_ecwid.sandbox.order_query import OrderFilter
from npf_ecwid.sandbox.params import envelope, paging
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


@route("GET", "/orders/{order_id}", "read_orders")
def get_order(call: Call) -> dict[str, Any]:
    order = call.store.get_order(call.params["order_id"])
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"Order #{call.params['order_id']} not found")
    return order


@route("PUT", "/orders/{order_id}", "update_orders")
def update_order(call: Call) -> dict[str, Any]:
    return call.store.update_order(call.params["order_id"], call.body)
