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
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from npf_ecwid.ecwid.models import FulfillmentStatus, Order, OrderItem, PaymentStatus, Person
from npf_ecwid.newest import newest_by_id
from npf_ecwid.order_status import is_cancelled

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


def _status_categorical(values: np.ndarray, known: Iterable[str]) -> pd.Categorical:
    categories = list(known)
    extra = sorted({v for v in values if v is not None} - set(categories))
    return pd.Categorical(values, categories=categories + extra)


def _times(epochs: np.ndarray) -> pd.arrays.DatetimeArray:
    return pd.to_datetime(epochs.astype("float64"), unit="s", utc=True).array


# What the warehouse acts on (see the module docstring): the content hash covers these, in
# this order, with the store currency after the order's values and then each line's values.
# Hashes are stored (`npf_order.content_hash`) and compared on every re-pull, so neither the
# columns nor their order may change without marking every re-pulled order "updated".
HASHED_ORDER_COLUMNS = (
    *("email", "customer_name", "company_name", "phone", "address_line1", "address_line2"),
    *("city", "state", "postcode", "country", "shipping_method", "shipping_carrier"),
    *("customer_comments", "subtotal_cents", "shipping_cents", "tax_cents", "total_cents"),
    *("line_count", "pickup_time", "is_pickup", "is_cancelled", "payment_status", "currency"),
)
HASHED_LINE_COLUMNS = (
    *("line_no", "product_id", "combination_id", "sku", "name", "options", "quantity"),
    *("unit_price_cents", "is_shipping_required"),
)
# Column order of the row tuples built in `order_rows`: the hashed values first, so the
# hash takes a slice (the currency is the same for every order and is added there).
_ORDER_ROW = (
    *HASHED_ORDER_COLUMNS[:-1],
    *("ecwid_order_id", "internal_id", "ecwid_created_at", "ecwid_updated_at"),
    "fulfillment_status",
)
_LINE_ROW = (*HASHED_LINE_COLUMNS, "ecwid_order_id", "item_id", "weight")
_HASHED_ROW = len(HASHED_ORDER_COLUMNS) - 1
_HASHED_LINE = len(HASHED_LINE_COLUMNS)


def _order_row(order: Order, cancelled_custom: frozenset[str]) -> tuple[Any, ...]:
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
    subtotal, tax, total = order.subtotal, order.tax, order.total
    payment, fulfillment = order.payment_status, order.fulfillment_status
    return (  # `_ORDER_ROW` order: the hashed values first
        order.email,
        _name(contact),
        contact.company_name if contact is not None else None,
        contact.phone if contact is not None else None,
        *place,
        option.shipping_method_name if option is not None else None,
        option.shipping_carrier_name if option is not None else None,
        order.order_comments,
        None if subtotal is None else round(subtotal * 100),
        None if shipping_rate is None else round(shipping_rate * 100),
        None if tax is None else round(tax * 100),
        None if total is None else round(total * 100),
        len(order.items),
        pickup_time.timestamp() if pickup_time is not None else np.nan,
        pickup,
        is_cancelled(payment, fulfillment, cancelled_custom),
        payment,
        order.id,
        order.internal_id,
        float(created) if created is not None else _epoch(None, order.create_date),
        float(updated) if updated is not None else _epoch(None, order.update_date),
        fulfillment,
    )


class OrderRows(NamedTuple):
    """One order as the scalar tuples its dataframe rows are built from, plus what the newest
    copy per id is chosen by (`newest_by_id` reads `id` and `update_timestamp`).

    Why it exists: the order search turns each page into these as it is parsed
    (`EcwidClient.search_orders_as`), so the `Order` models of a 100,000-order pull never live
    at once. A model is ~17 objects the garbage collector tracks; these are tuples of scalars,
    which it stops tracking after one look (docs/benchmarks.md, "Order pull")."""

    id: str
    update_timestamp: int | None
    row: tuple[Any, ...]  # `_ORDER_ROW` order
    lines: tuple[tuple[Any, ...], ...]  # `_LINE_ROW` order


def _line_row(order_id: str, no: int, item: OrderItem) -> tuple[Any, ...]:
    chosen, price = item.selected_options, item.price
    return (  # `_LINE_ROW` order: the hashed values first
        no,
        item.product_id,
        item.combination_id,
        item.sku or None,
        item.name,
        "; ".join([f"{s.name}: {s.value}" for s in chosen]) or None if chosen else None,
        item.quantity,
        None if price is None else round(price * 100),
        item.is_shipping_required is not False and not item.digital,
        order_id,
        item.id,
        item.weight,
    )


def order_rows(order: Order, cancelled_custom: frozenset[str] = frozenset()) -> OrderRows:
    """`order` as the rows of both dataframes. `cancelled_custom`: the custom statuses the
    client maps to `cancelled` (`order_status.is_cancelled`)."""
    lines = tuple(_line_row(order.id, no, item) for no, item in enumerate(order.items, start=1))
    return OrderRows(order.id, order.update_timestamp, _order_row(order, cancelled_custom), lines)


def normalise_orders(
    orders: Sequence[Order],
    currency: str | None = None,
    cancelled_custom: frozenset[str] = frozenset(),
) -> OrderFrames:
    """Both dataframes for `orders` (duplicates by `id`: the newest copy wins, `newest_by_id`).

    `currency` is the store's (from `GET /profile`); Ecwid orders do not carry it.
    """
    return frames_from_rows([order_rows(order, cancelled_custom) for order in orders], currency)


def frames_from_rows(orders: Iterable[OrderRows], currency: str | None = None) -> OrderFrames:
    """Both dataframes from `order_rows` (duplicates by `id`: the newest copy wins), with each
    order's content hash taken from slices of its tuples; `_columns` then turns the tuples
    into columns in C. No container per order outlives the call besides the tuples (which hold
    only scalars, so the garbage collector stops tracking them): a list per order kept to the
    end would push 100,000 objects into the oldest generation and trigger a full collection
    over every object in the process.
    """
    unique = newest_by_id(orders)
    lines = [line for order in unique for line in order.lines]
    digests: list[str] = []
    blake2b, hashed_row, hashed_line = hashlib.blake2b, _HASHED_ROW, _HASHED_LINE
    for order in unique:
        # The content hash: BLAKE2b (64 bits) over the repr of [hashed order values...,
        # currency, (hashed line values...) per line], stable across processes and versions.
        relevant = [*order.row[:hashed_row], currency, *[li[:hashed_line] for li in order.lines]]
        digests.append(blake2b(repr(relevant).encode(), digest_size=8).hexdigest())
    rows = [order.row for order in unique]
    orders_frame = _orders_frame(_columns(rows, _ORDER_ROW), currency, digests)
    return OrderFrames(orders_frame, _lines_frame(_columns(lines, _LINE_ROW)))


def _columns(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Row tuples (scalars only) -> one object array per column, transposed by numpy in C.
    `fromiter` over the chained rows is ~2x faster than `np.array(rows)` (which first probes
    every row for its shape) and than `zip(*rows)` (one iterator per row)."""
    flat = itertools.chain.from_iterable(rows)
    table = np.fromiter(flat, dtype=object, count=len(rows) * len(names))
    table = table.reshape(len(rows), len(names))
    return {name: table[:, i] for i, name in enumerate(names)}


def _strings(values: np.ndarray) -> pd.arrays.StringArray:
    """pandas `string` from an object column this module owns: no defensive copy."""
    return pd.array(values, dtype="string", copy=False)


def _ints(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable Int64 from objects with None, without pandas' per-object coercion loop."""
    floats = values.astype("float64")  # None -> nan; ids and cents are < 2**53
    missing = np.isnan(floats)
    return pd.arrays.IntegerArray(np.where(missing, 0, floats).astype("int64"), missing)


def _orders_frame(
    o: dict[str, np.ndarray], currency: str | None, digests: list[str]
) -> pd.DataFrame:
    o["order_ref"] = o["ecwid_order_id"].copy()  # `_strings` takes each array over
    o["currency"] = np.full(len(digests), currency, dtype=object)
    o["content_hash"] = np.array(digests, dtype=object)
    columns: dict[str, Any] = {c: _strings(o[c]) for c in ORDER_STRING_COLUMNS}
    columns |= {c: _ints(o[c]) for c in ORDER_INT_COLUMNS}
    columns |= {c: _times(o[c]) for c in ORDER_TIME_COLUMNS}
    columns["is_pickup"] = o["is_pickup"].astype(bool)
    columns["is_cancelled"] = o["is_cancelled"].astype(bool)
    columns["payment_status"] = _status_categorical(o["payment_status"], PaymentStatus)
    columns["fulfillment_status"] = _status_categorical(o["fulfillment_status"], FulfillmentStatus)
    return pd.DataFrame(columns, copy=False)  # one construction, no per-column insert


def _lines_frame(li: dict[str, np.ndarray]) -> pd.DataFrame:
    columns: dict[str, Any] = {c: _strings(li[c]) for c in LINE_STRING_COLUMNS}
    columns |= {c: _ints(li[c]) for c in (*LINE_INT_COLUMNS, "unit_price_cents")}
    columns["weight"] = pd.array(li["weight"], dtype="Float64")
    columns["is_shipping_required"] = li["is_shipping_required"].astype(bool)
    return pd.DataFrame(columns, copy=False)


def frame_records(frame: pd.DataFrame, columns: Sequence[str], **constants: Any) -> list[dict]:
    """Plain-Python rows for the DB driver: NA/NaT -> None, Timestamps -> datetime."""
    lists: list[list[Any]] = []
    for column in columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        elif series.dtype == bool:
            values = series.tolist()
        else:
            values = series.astype(object).where(series.notna(), None).tolist()
        lists.append(values)
    keys = [*columns, *constants]
    fixed = tuple(constants.values())
    return [dict(zip(keys, (*row, *fixed), strict=True)) for row in zip(*lists, strict=True)]
