"""Open orders Ecwid sent that did not parse: their units still count in flight.

The order search of a stock sync (`reconcile.read_ecwid`) gets every open order; one that fails
validation is left out of the page by the client (`EcwidClient.stats.unreadable`). Dropping it
here would hand its units back to sale: Ecwid already took them off its quantity, the order pull
quarantined the order (so the warehouse never allocated it), and the figure we push would not
subtract them, so they would be resold.

Decision: count conservatively, and refuse only what cannot be counted.

* An unreadable order whose lines can still be read from the raw JSON (each line a SKU and a
  whole, non-negative quantity; typically the order failed on a field stock does not use, such
  as a date) has those lines counted in flight under the same rules as a parsed order (lines
  without a SKU or with no units are left out; an order whose payment status says it holds no
  stock, or whose fulfilment is done, is left out). Its hand-off, if any, is looked up as usual.
  Why not refuse: one odd order would then keep the whole catalogue's stock stale until a person
  fixes it in Ecwid, while counting it can only make us sell less, never more.
* An unreadable order whose lines cannot be read (items not a list, a quantity that is not a
  whole number, a SKU that is not text) cannot be counted at all: the sync is refused with a
  reason naming the order and the field, because any figure pushed then could resell its units.
  `--force` overrides, like every other guard refusal.

Both kinds are reported by order id with the parse error (and stay in the order quarantine).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from npf_ecwid.ecwid.stats import UnreadableItem
from npf_ecwid.newest import newest_by_id
from npf_ecwid.stock.inflight import LINE_COLUMNS, holds_stock


@dataclass
class UnreadableOrders:
    """What the stock sync does with the open orders that did not parse."""

    lines: pd.DataFrame  # LINE_COLUMNS, counted in flight like a parsed order's lines
    counted: list[str] = field(default_factory=list)  # "order X: why it did not parse"
    uncountable: list[str] = field(default_factory=list)  # refusal reasons, one per order

    @property
    def messages(self) -> list[str]:
        counted = [f"unreadable open order counted from its raw lines: {m}" for m in self.counted]
        return counted + self.uncountable


class _Uncountable(ValueError):
    pass


def _quantity(value: Any, where: str) -> int | None:
    if value is None:
        return None  # a parsed order's line without a quantity is left out too
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Uncountable(f"{where}.quantity is {json.dumps(value)[:40]}, not a number")
    if isinstance(value, float) and not value.is_integer():
        raise _Uncountable(f"{where}.quantity is {value}, not a whole number")
    return int(value)


def _lines(order_id: str, raw: Any) -> list[tuple[str, str, int]]:
    if not isinstance(raw, dict):
        raise _Uncountable("the order is not a JSON object")
    items = raw.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise _Uncountable("items is not a list")
    lines = []
    for position, item in enumerate(items):
        where = f"items.{position}"
        if not isinstance(item, dict):
            raise _Uncountable(f"{where} is not an object")
        sku, quantity = item.get("sku"), _quantity(item.get("quantity"), where)
        if sku is not None and not isinstance(sku, str):
            raise _Uncountable(f"{where}.sku is {json.dumps(sku)[:40]}, not text")
        if sku and sku.strip() and quantity and quantity > 0:
            lines.append((order_id, sku.strip(), quantity))
    return lines


def _holds_no_stock(raw: Any) -> bool:
    """Only a clearly readable released/done status excludes an order (else it counts)."""
    if not isinstance(raw, dict):
        return False
    payment, fulfillment = raw.get("paymentStatus"), raw.get("fulfillmentStatus")
    return not holds_stock(
        payment if isinstance(payment, str) else None,
        fulfillment if isinstance(fulfillment, str) else None,
    )


def _key(item: UnreadableItem) -> str:
    return item.item_id or f"(no id) at position {item.position}"


def unreadable_open_orders(
    items: Sequence[UnreadableItem], parsed_ids: Iterable[str]
) -> UnreadableOrders:
    """Sort the open-order search's unreadable items (see the module docstring). An order also
    read fine (listed twice while paging, one copy parses) is already counted and skipped."""
    parsed = set(parsed_ids)
    newest = newest_by_id((item for item in items if _key(item) not in parsed), key=_key)
    rows: list[tuple[str, str, int]] = []
    result = UnreadableOrders(lines=pd.DataFrame())
    for item in newest:
        key = _key(item)
        raw = json.loads(item.raw_json)
        if _holds_no_stock(raw):
            continue
        try:
            lines = _lines(key, raw)
        except _Uncountable as problem:
            result.uncountable.append(
                f"open order {key} is unreadable ({item.reason}) and its units cannot be "
                f"counted ({problem}); fix it in Ecwid or run with --force"
            )
            continue
        rows.extend(lines)
        result.counted.append(f"order {key}: {item.reason}")
    result.lines = pd.DataFrame(rows, columns=LINE_COLUMNS).astype(
        {"order_id": "object", "sku": "object", "quantity": "int64"}
    )
    return result
