"""In-flight units: sold in Ecwid, so already gone from Ecwid's quantity, but not yet out of the
warehouse figure the client sells from. Subtracting them keeps us from reselling them.

What counts, per order line, against the feed row's `updated_at` (the snapshot time, "as of"):

* The order must still hold stock: Ecwid took the units at checkout and gives them back only when
  the order is cancelled/refunded; `INCOMPLETE` (abandoned checkout) never took any. Orders whose
  fulfilment is already SHIPPED/DELIVERED/OUT_FOR_DELIVERY/WILL_NOT_DELIVER/RETURNED are done.
* mode `available` (on hand minus allocated): the WMS allocates an order once it is handed to it
  (a row in `npf_order`). A line is in flight unless its order was handed off at or before the
  snapshot (`received_at <= as_of`): orders not handed off at all (unpaid, quarantined, placed after
  the final pull) and orders handed off after the snapshot are in flight.
* mode `on_hand` (stock on hand): on-hand stock drops only when the order leaves the building, so
  every open order is in flight until the warehouse shipped it at or before the snapshot
  (`shipped_at <= as_of`, from `npf_shipment`), handed off or not.

SKUs the feed does not know have no "as of", so their lines always count (they are reported as
not in the warehouse anyway). Counting is conservative on purpose: when unsure, sell less.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from npf_ecwid.config import StockMode
from npf_ecwid.ecwid.models import FulfillmentStatus, Order, PaymentStatus
from npf_ecwid.order_status import CANCELLED_FULFILLMENT, SHIPPED_OR_LATER, is_cancelled

# Fulfilment statuses after which the units are no longer the warehouse's stock (or never will be).
DONE_FULFILMENT = SHIPPED_OR_LATER | CANCELLED_FULFILLMENT
# What to ask Ecwid for: the open fulfilment statuses (custom ones count as open).
OPEN_FULFILMENT = [s.value for s in FulfillmentStatus if s not in DONE_FULFILMENT]

LINE_COLUMNS = ["order_id", "sku", "quantity"]
HANDOFF_COLUMNS = ["order_id", "received_at", "shipped_at"]
INFLIGHT_COLUMNS = ["sku", "inflight", "inflight_orders"]


def holds_stock(
    payment_status: str | None,
    fulfillment_status: str | None,
    done_custom: frozenset[str] = frozenset(),
) -> bool:
    """True while Ecwid's quantity still has this order's units taken out and they have not
    left the warehouse: not cancelled (Ecwid gave the units back), not an abandoned checkout
    (`INCOMPLETE` never took any), not shipped or later. `done_custom`: custom statuses the
    client maps to shipped/cancelled."""
    return not (
        is_cancelled(payment_status, fulfillment_status, done_custom)
        or fulfillment_status in SHIPPED_OR_LATER
        or payment_status == PaymentStatus.INCOMPLETE
    )


def order_lines(orders: Iterable[Order], done_custom: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Lines of stock-holding orders: `order_id`, `sku`, `quantity`. Lines without a SKU or a
    positive quantity cannot be matched to a unit and are left out."""
    rows = [
        {"order_id": order.id, "sku": item.sku.strip(), "quantity": item.quantity}
        for order in orders
        if holds_stock(order.payment_status, order.fulfillment_status, done_custom)
        for item in order.items
        if item.sku and item.sku.strip() and item.quantity and item.quantity > 0
    ]
    return pd.DataFrame(rows, columns=LINE_COLUMNS).astype(
        {"order_id": "object", "sku": "object", "quantity": "int64"}
    )


def handoff_frame(rows: Iterable[tuple[str, object, object]]) -> pd.DataFrame:
    """`(order_id, received_at, shipped_at)` tuples (None when not yet) as a dataframe."""
    frame = pd.DataFrame(list(rows), columns=HANDOFF_COLUMNS)
    frame["order_id"] = frame["order_id"].astype("object")
    for column in ("received_at", "shipped_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def inflight_units(
    lines: pd.DataFrame, handoffs: pd.DataFrame, feed: pd.DataFrame, mode: StockMode
) -> pd.DataFrame:
    """Per SKU: `inflight` units and `inflight_orders` (distinct orders), per the module rules."""
    if mode is StockMode.OFF:
        raise ValueError("stock mode 'off' has no figure to account against")
    merged = lines.merge(handoffs, on="order_id", how="left").merge(
        feed[["sku", "updated_at"]], on="sku", how="left"
    )
    done_at = merged["received_at" if mode is StockMode.AVAILABLE else "shipped_at"]
    # NaT compares False, so "not handed off / not shipped / SKU unknown" stays in flight.
    in_figure = done_at.notna() & merged["updated_at"].notna() & (done_at <= merged["updated_at"])
    flying = merged.loc[~in_figure]
    if flying.empty:
        return pd.DataFrame(columns=INFLIGHT_COLUMNS).astype(
            {"sku": "object", "inflight": "int64", "inflight_orders": "int64"}
        )
    grouped = flying.groupby("sku", sort=True).agg(
        inflight=("quantity", "sum"), inflight_orders=("order_id", "nunique")
    )
    return grouped.reset_index().astype({"inflight": "int64", "inflight_orders": "int64"})
