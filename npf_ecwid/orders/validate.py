"""Validation of normalised orders: what the warehouse cannot act on goes to quarantine.

An order is quarantined (with every reason found, joined by "; ") when:
- it has no items;
- a line that needs shipping has no SKU (the warehouse picks by SKU);
- a line's quantity is missing or not positive;
- it is not a pickup order, needs shipping, and its shipping address lacks street, city or
  country.
Only the bad orders are held back; the rest of the batch proceeds. The checks are vectorised
over the dataframes (a 100,000-order batch validates in well under a second); messages are
built only for the few rows that fail.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from npf_ecwid.normalise import OrderFrames

ADDRESS_FIELDS = {"address_line1": "street", "city": "city", "country": "country"}


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.str.strip() == "").fillna(True)


def find_problems(frames: OrderFrames) -> dict[str, str]:
    """`{ecwid_order_id: reason}` for every order that must be quarantined."""
    problems: dict[str, list[str]] = defaultdict(list)
    orders, lines = frames.orders, frames.lines

    for order_id in orders.loc[orders["line_count"].fillna(0) == 0, "ecwid_order_id"]:
        problems[order_id].append("no items")

    no_sku = lines["is_shipping_required"] & _blank(lines["sku"])
    for row in lines.loc[no_sku, ["ecwid_order_id", "line_no", "name"]].itertuples(index=False):
        problems[row.ecwid_order_id].append(
            f"line {row.line_no}: no SKU on a shippable line ({row.name or 'unnamed'})"
        )

    quantity = lines["quantity"]
    bad_quantity = (quantity.isna() | (quantity <= 0)).fillna(True)
    for row in lines.loc[bad_quantity, ["ecwid_order_id", "line_no", "quantity"]].itertuples(
        index=False
    ):
        shown = "missing" if pd.isna(row.quantity) else str(row.quantity)
        problems[row.ecwid_order_id].append(f"line {row.line_no}: quantity {shown} is not positive")

    shippable_orders = set(lines.loc[lines["is_shipping_required"], "ecwid_order_id"])
    needs_address = ~orders["is_pickup"] & orders["ecwid_order_id"].isin(shippable_orders)
    missing = pd.DataFrame({c: _blank(orders[c]) for c in ADDRESS_FIELDS})
    no_address = needs_address & missing.any(axis=1)
    for index in orders.index[no_address]:
        absent = [label for c, label in ADDRESS_FIELDS.items() if missing.at[index, c]]
        problems[orders.at[index, "ecwid_order_id"]].append(
            f"no usable shipping address for a non-pickup order (missing {', '.join(absent)})"
        )
    return {order_id: "; ".join(reasons) for order_id, reasons in problems.items()}
