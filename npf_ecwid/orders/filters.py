"""A client's order filters: which part Ecwid applies (query) and which part we apply (locally).

The filters (clients file): `order_start_date`, `order_prefix`, `countries`,
`fulfillment_statuses`, `payment_statuses`.

Sent to Ecwid (`plan_query`):
- `order_start_date` always, as `createdFrom` (unix seconds of local midnight of that date in
  the client's time zone: "orders from 1 Jan" means the merchant's 1 Jan). `createDate` never
  changes, so this never hides a later change.
- `updatedFrom` = watermark minus an overlap window, on incremental runs.
- The status filters ONLY on the first backfill (no watermark yet, no `since`). On incremental
  runs they would hide changes the warehouse must see: an order handed off as PAID that is
  later REFUNDED no longer matches `paymentStatus=PAID`, so its cancellation would never reach
  the warehouse. Incremental runs therefore ask for every order updated since the watermark
  and filter statuses locally. (An order that did not match during the backfill and matches
  later, e.g. AWAITING_PAYMENT -> PAID, gets a new `updateDate`, so the next incremental run
  sees it.)

Applied locally (`apply_filters`), to orders not yet handed off:
- `order_start_date` (again, cheap), `order_prefix` (Ecwid's `ids` parameter matches whole
  IDs, not prefixes), `countries`, the statuses; and orders with no line that needs shipping
  are skipped (nothing for the warehouse to do).
- **Pickup orders and the country filter**: pickup orders have no shipping address. They
  PASS a country filter: the customer collects from the warehouse, which is the pickup point,
  so the order never leaves the warehouse's country; the billing country says where the buyer
  lives, not where goods go. They are flagged `is_pickup` in `npf_order`.
Orders already handed off always pass: every later change to them (cancellation, refund,
address edit, lines) is handed off as an update, whatever the filters say now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from npf_ecwid.config import ClientConfig
from npf_ecwid.ecwid.client import OrderQuery
from npf_ecwid.local_day import local_midnight
from npf_ecwid.normalise import OrderFrames

OVERLAP = timedelta(minutes=10)


def start_instant(day: date | None, zone: str) -> datetime | None:
    """Local midnight of `day` (the client's `order_start_date`) in `zone`, as aware UTC."""
    return None if day is None else local_midnight(day, zone)


def plan_query(
    client: ClientConfig,
    watermark: datetime | None,
    since: datetime | None = None,
    overlap: timedelta = OVERLAP,
) -> OrderQuery:
    """The Ecwid query for this run (see the module docstring for why statuses are pushed
    only on the first backfill). `since` (a manual catch-up) starts the update window there."""
    created_from = start_instant(client.order_start_date, client.timezone)
    if since is not None:
        return OrderQuery(created_from=created_from, updated_from=since)
    if watermark is not None:
        return OrderQuery(created_from=created_from, updated_from=watermark - overlap)
    return OrderQuery(
        created_from=created_from,
        payment_statuses=tuple(client.payment_statuses),
        fulfillment_statuses=tuple(client.fulfillment_statuses),
    )


@dataclass
class FilterResult:
    kept: OrderFrames
    skipped: dict[str, str] = field(default_factory=dict)  # ecwid_order_id -> reason


def _reject(skipped: dict[str, str], orders: pd.DataFrame, mask: pd.Series, reason: Any) -> None:
    for index in orders.index[mask.fillna(False).astype(bool)]:
        order_id = orders.at[index, "ecwid_order_id"]
        if order_id not in skipped:
            skipped[order_id] = reason(index) if callable(reason) else reason


def apply_filters(
    client: ClientConfig, frames: OrderFrames, known: Iterable[str] = ()
) -> FilterResult:
    """Split `frames` into the orders to hand off and those skipped (with the first reason).

    `known`: ids already in the warehouse (handed off before); they always pass."""
    orders = frames.orders
    is_known = orders["ecwid_order_id"].isin(list(known))
    skipped: dict[str, str] = {}

    def check(mask: pd.Series, reason: Any) -> None:
        _reject(skipped, orders, mask & ~is_known, reason)

    start = start_instant(client.order_start_date, client.timezone)
    if start is not None:
        check(orders["ecwid_created_at"] < start, f"created before {client.order_start_date}")
    if client.order_prefix:
        prefix = client.order_prefix
        check(~orders["ecwid_order_id"].str.startswith(prefix), f"id lacks prefix {prefix!r}")
    if client.countries:
        outside = ~orders["is_pickup"] & ~orders["country"].isin(client.countries)
        check(outside, lambda i: f"country {orders.at[i, 'country']} not in filter")
    for column, allowed in (
        ("payment_status", client.payment_statuses),
        ("fulfillment_status", client.fulfillment_statuses),
    ):
        if allowed:
            values = [str(s) for s in allowed]
            check(~orders[column].isin(values), lambda i, c=column: f"{c} {orders.at[i, c]}")
    lines = frames.lines
    shippable = set(lines.loc[lines["is_shipping_required"], "ecwid_order_id"])
    has_items = orders["line_count"].fillna(0) > 0  # no items at all: validation quarantines it
    check(has_items & ~orders["ecwid_order_id"].isin(shippable), "nothing to ship")
    return FilterResult(frames.without(skipped), skipped)
