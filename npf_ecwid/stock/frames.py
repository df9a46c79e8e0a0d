"""Ecwid catalogue and warehouse feed as dataframes, one row per stock-keeping unit.

A stock-keeping unit is whatever Ecwid keeps a separate quantity for: a product, and each
variation (combination) that has its own SKU. A variation without a SKU inherits the product's
SKU and stock (Ecwid: "If `sku` is omitted, then `quantity` of the variation is nested from
base product"), so it is not a unit of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from npf_ecwid.config import StockMode
from npf_ecwid.ecwid.models import Product
from npf_ecwid.stock.ports import StockLevel

UNIT_COLUMNS = ["sku", "product_id", "combination_id", "ecwid_quantity", "unlimited"]
FEED_COLUMNS = ["sku", "on_hand", "available", "updated_at"]


def _sku(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def catalogue_units(products: Iterable[Product]) -> pd.DataFrame:
    """One row per unit: `sku` (None when Ecwid has none), `product_id`, `combination_id`
    (<NA> for the product itself), `ecwid_quantity` (<NA> when Ecwid sends none, as for
    unlimited items) and `unlimited`. A variation's `unlimited` falls back to its product's."""
    rows: list[dict[str, object]] = []
    for product in products:
        rows.append(
            {
                "sku": _sku(product.sku),
                "product_id": product.id,
                "combination_id": None,
                "ecwid_quantity": product.quantity,
                "unlimited": bool(product.unlimited),
            }
        )
        for combo in product.combinations:
            sku = _sku(combo.sku)
            if sku is None:
                continue  # inherits the product's SKU and stock: not a unit of its own
            unlimited = product.unlimited if combo.unlimited is None else combo.unlimited
            rows.append(
                {
                    "sku": sku,
                    "product_id": product.id,
                    "combination_id": combo.id,
                    "ecwid_quantity": combo.quantity,
                    "unlimited": bool(unlimited),
                }
            )
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    return frame.astype(
        {
            "sku": "object",
            "product_id": "int64",
            "combination_id": "Int64",
            "ecwid_quantity": "Int64",
            "unlimited": "bool",
        }
    )


def feed_frame(levels: Iterable[StockLevel]) -> pd.DataFrame:
    """The warehouse feed: `sku`, `on_hand`, `available`, `updated_at` (aware UTC)."""
    frame = pd.DataFrame([level.model_dump() for level in levels], columns=FEED_COLUMNS).astype(
        {"sku": "object", "on_hand": "Int64", "available": "Int64"}
    )
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def figure_column(mode: StockMode) -> str:
    """The feed column the client sells from. `off` has none: the flow skips such clients."""
    if mode is StockMode.OFF:
        raise ValueError("stock mode 'off' has no figure; the stock sync skips this client")
    return mode.value
