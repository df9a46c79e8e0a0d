"""Ecwid orders -> two pandas dataframes, `orders` (one row per order) and `lines` (one per item).

Pure and typed: the input is the parsed `Order` models (parsing happened once, at the edge, in
the Ecwid client), the output has explicit dtypes so nothing downstream guesses:
- identifiers and free text: pandas `string`; counts, ids and money: nullable `Int64`;
- money in integer cents (`*_cents`; Ecwid sends floats in the store currency);
- timestamps: `datetime64[us, UTC]`; statuses: `category` over Ecwid's known values, with
  unknown (new/custom) statuses tolerated as extra categories.

Column names match `npf_order` / `npf_order_line`, so the SQL adapter writes them as they are.
`order_ref`, the reference the WMS shows, is Ecwid's `id`, prefix/suffix included.

`content_hash` covers exactly the fields the warehouse acts on (recipient, address, shipping
method, pickup, payment status, cancellation, totals, comments, lines). Fulfilment-status moves
(e.g. the SHIPPED our own tracking push sets) and `updateDate` are deliberately left out, so
re-pulling an order that only changed in those ways is not a change.

Built column-wise in one pass over plain lists (no per-row dicts, no `json_normalize`): this is
the hot path of a 100,000-order backfill (see bench/pull.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from npf_ecwid.ecwid.models import FulfillmentStatus, Order, PaymentStatus, Person

CANCELLED_PAYMENT = frozenset({PaymentStatus.CANCELLED, PaymentStatus.REFUNDED})
CANCELLED_FULFILLMENT = frozenset({FulfillmentStatus.WILL_NOT_DELIVER})

ORDER_STRING_COLUMNS = (
    "ecwid_order_id",
    "order_ref",
    "email",
    "customer_name",
    "company_name",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postcode",
    "country",
    "shipping_method",
    "shipping_carrier",
    "currency",
    "customer_comments",
    "content_hash",
)
ORDER_INT_COLUMNS = (
    "internal_id",
    "subtotal_cents",
    "shipping_cents",
    "tax_cents",
    "total_cents",
    "line_count",
)
ORDER_TIME_COLUMNS = ("pickup_time", "ecwid_created_at", "ecwid_updated_at")
LINE_STRING_COLUMNS = ("ecwid_order_id", "sku", "name", "options")
LINE_INT_COLUMNS = ("line_no", "item_id", "product_id", "combination_id", "quantity")


@dataclass(frozen=True)
class OrderFrames:
    orders: pd.DataFrame
    lines: pd.DataFrame

    def __len__(self) -> int:
        return len(self.orders)

    def _select(self, order_ids: Iterable[str], keep: bool) -> OrderFrames:
        ids = list(order_ids)
        in_orders = self.orders["ecwid_order_id"].isin(ids)
        in_lines = self.lines["ecwid_order_id"].isin(ids)
        return OrderFrames(
            self.orders[in_orders == keep].reset_index(drop=True),
            self.lines[in_lines == keep].reset_index(drop=True),
        )

    def only(self, order_ids: Iterable[str]) -> OrderFrames:
        """These orders and their lines."""
        return self._select(order_ids, True)

    def without(self, order_ids: Iterable[str]) -> OrderFrames:
        """All but these orders (and their lines)."""
        return self._select(order_ids, False)


def is_cancelled(payment_status: str | None, fulfillment_status: str | None) -> bool:
    """The warehouse must not ship: payment CANCELLED/REFUNDED or fulfilment WILL_NOT_DELIVER.
    PARTIALLY_REFUNDED is not a cancellation (the rest of the order still ships)."""
    return payment_status in CANCELLED_PAYMENT or fulfillment_status in CANCELLED_FULFILLMENT


def _name(person: Person | None) -> str | None:
    if person is None:
        return None
    if person.name:
        return person.name
    joined = " ".join(p for p in (person.first_name, person.last_name) if p)
    return joined or None


def _epoch(timestamp: int | None, value: datetime | None) -> float:
    if timestamp is not None:
        return float(timestamp)
    return value.timestamp() if value is not None else np.nan


def _status_categorical(values: list[str | None], known: Iterable[str]) -> pd.Categorical:
    categories = list(known)
    extra = sorted({v for v in values if v is not None} - set(categories))
    return pd.Categorical(values, categories=categories + extra)


def _times(epochs: list[float]) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(epochs, dtype="float64"), unit="s", utc=True))


# Column order of the row tuples built in `normalise_orders`.
_ORDER_ROW = (
    *("ecwid_order_id", "email", "customer_name", "company_name", "phone", "address_line1"),
    *("address_line2", "city", "state", "postcode", "country", "shipping_method"),
    *("shipping_carrier", "customer_comments", "internal_id", "subtotal_cents"),
    *("shipping_cents", "tax_cents", "total_cents", "line_count", "pickup_time"),
    *("ecwid_created_at", "ecwid_updated_at", "is_pickup", "is_cancelled", "payment_status"),
    "fulfillment_status",
)
_LINE_ROW = (
    *("ecwid_order_id", "line_no", "item_id", "product_id", "combination_id", "sku", "name"),
    *("options", "quantity", "unit_price_cents", "weight", "is_shipping_required"),
)
# What the warehouse acts on (see the module docstring): the content hash covers these.
HASHED_ORDER_COLUMNS = [
    c
    for c in _ORDER_ROW
    if c not in {"ecwid_order_id", "internal_id", "ecwid_created_at", "ecwid_updated_at"}
    and c != "fulfillment_status"
] + ["currency"]
HASHED_LINE_COLUMNS = [c for c in _LINE_ROW if c not in {"ecwid_order_id", "item_id", "weight"}]


def _order_row(order: Order) -> tuple[Any, ...]:
    option = order.shipping_option
    pickup = option is not None and (
        bool(option.is_pickup) or (option.fulfillment_type or "").upper() == "PICKUP"
    )
    ship = order.shipping_person
    contact = ship if ship is not None and not pickup else (order.billing_person or ship)
    address = None if pickup else ship
    if address is not None:
        line1, _, rest = (address.street or "").partition("\n")
        extra = ", ".join(p.strip() for p in rest.split("\n") if p.strip()) if rest else None
        country = address.country_code.upper() if address.country_code else None
        place = (
            line1.strip() or None,
            extra or None,
            address.city,
            address.state_or_province_code or address.state_or_province_name,
            address.postal_code,
            country,
        )
    else:
        place = (None, None, None, None, None, None)
    shipping_rate = option.shipping_rate if option is not None else None
    pickup_time, created = order.pickup_time, order.create_timestamp
    updated = order.update_timestamp
    return (
        order.id,
        order.email,
        _name(contact),
        contact.company_name if contact is not None else None,
        contact.phone if contact is not None else None,
        *place,
        option.shipping_method_name if option is not None else None,
        option.shipping_carrier_name if option is not None else None,
        order.order_comments,
        order.internal_id,
        None if order.subtotal is None else round(order.subtotal * 100),
        None if shipping_rate is None else round(shipping_rate * 100),
        None if order.tax is None else round(order.tax * 100),
        None if order.total is None else round(order.total * 100),
        len(order.items),
        pickup_time.timestamp() if pickup_time is not None else np.nan,
        float(created) if created is not None else _epoch(None, order.create_date),
        float(updated) if updated is not None else _epoch(None, order.update_date),
        pickup,
        is_cancelled(order.payment_status, order.fulfillment_status),
        order.payment_status,
        order.fulfillment_status,
    )


def normalise_orders(orders: Sequence[Order], currency: str | None = None) -> OrderFrames:
    """Both dataframes for `orders` (duplicates by `id`: the last one wins).

    `currency` is the store's (from `GET /profile`); Ecwid orders do not carry it.
    One pass builds a plain tuple per order and per line (and the order's content hash from
    them); `zip(*rows)` turns them into columns at C speed.
    """
    unique = list({order.id: order for order in orders}.values())
    rows: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    digests: list[str] = []
    for order in unique:
        row = _order_row(order)
        order_lines = [
            (
                order.id,
                no,
                item.id,
                item.product_id,
                item.combination_id,
                item.sku or None,
                item.name,
                "; ".join(f"{s.name}: {s.value}" for s in item.selected_options) or None
                if item.selected_options
                else None,
                item.quantity,
                None if item.price is None else round(item.price * 100),
                item.weight,
                item.is_shipping_required is not False and not item.digital,
            )
            for no, item in enumerate(order.items, start=1)
        ]
        rows.append(row)
        lines.extend(order_lines)
        digests.append(_content_hash(row, order_lines, currency))
    o = dict(zip(_ORDER_ROW, zip(*rows, strict=True), strict=True)) if rows else {}
    li = dict(zip(_LINE_ROW, zip(*lines, strict=True), strict=True)) if lines else {}
    orders_frame = _orders_frame({c: list(o.get(c, ())) for c in _ORDER_ROW}, currency)
    orders_frame["content_hash"] = pd.array(digests, dtype="string")
    return OrderFrames(orders_frame, _lines_frame({c: list(li.get(c, ())) for c in _LINE_ROW}))


_HASHED_ROW = [i for i, c in enumerate(_ORDER_ROW) if c in HASHED_ORDER_COLUMNS]
_HASHED_LINE = [i for i, c in enumerate(_LINE_ROW) if c in HASHED_LINE_COLUMNS]


def _content_hash(row: tuple[Any, ...], lines: list[tuple[Any, ...]], currency: str | None) -> str:
    """BLAKE2b (64 bits) over the warehouse-relevant values of the order and its lines
    (`HASHED_ORDER_COLUMNS`, `HASHED_LINE_COLUMNS`), stable across processes and versions."""
    relevant = [row[i] for i in _HASHED_ROW]
    relevant.append(currency)
    relevant.extend(tuple(line[i] for i in _HASHED_LINE) for line in lines)
    return hashlib.blake2b(repr(relevant).encode(), digest_size=8).hexdigest()


def _ints(values: list[Any]) -> pd.arrays.IntegerArray:
    """Nullable Int64 from a list with None, without pandas' per-object coercion loop."""
    floats = np.array(values, dtype="float64")  # None -> nan; ids and cents are < 2**53
    missing = np.isnan(floats)
    return pd.arrays.IntegerArray(np.where(missing, 0, floats).astype("int64"), missing)


def _orders_frame(o: dict[str, list[Any]], currency: str | None) -> pd.DataFrame:
    o["order_ref"] = o["ecwid_order_id"]
    o["currency"] = [currency] * len(o["ecwid_order_id"])
    o["content_hash"] = [""] * len(o["ecwid_order_id"])
    frame = pd.DataFrame({c: pd.array(o[c], dtype="string") for c in ORDER_STRING_COLUMNS})
    for column in ORDER_INT_COLUMNS:
        frame[column] = _ints(o[column])
    for column in ORDER_TIME_COLUMNS:
        frame[column] = _times(o[column])
    frame["is_pickup"] = np.asarray(o["is_pickup"], dtype=bool)
    frame["is_cancelled"] = np.asarray(o["is_cancelled"], dtype=bool)
    frame["payment_status"] = _status_categorical(o["payment_status"], PaymentStatus)
    frame["fulfillment_status"] = _status_categorical(o["fulfillment_status"], FulfillmentStatus)
    return frame


def _lines_frame(li: dict[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.array(li[c], dtype="string") for c in LINE_STRING_COLUMNS})
    for column in (*LINE_INT_COLUMNS, "unit_price_cents"):
        frame[column] = _ints(li[column])
    frame["weight"] = pd.array(li["weight"], dtype="Float64")
    frame["is_shipping_required"] = np.asarray(li["is_shipping_required"], dtype=bool)
    return frame


def empty_frames() -> OrderFrames:
    return normalise_orders([])
