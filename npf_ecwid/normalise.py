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


def cents(amount: float | None) -> int | None:
    """Ecwid money (a float in the store currency) as integer cents, rounded half to even."""
    return None if amount is None else round(amount * 100)


def is_cancelled(payment_status: str | None, fulfillment_status: str | None) -> bool:
    """The warehouse must not ship: payment CANCELLED/REFUNDED or fulfilment WILL_NOT_DELIVER.
    PARTIALLY_REFUNDED is not a cancellation (the rest of the order still ships)."""
    return payment_status in CANCELLED_PAYMENT or fulfillment_status in CANCELLED_FULFILLMENT


def is_pickup(order: Order) -> bool:
    option = order.shipping_option
    if option is None:
        return False
    return bool(option.is_pickup) or (option.fulfillment_type or "").upper() == "PICKUP"


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


def normalise_orders(orders: Sequence[Order], currency: str | None = None) -> OrderFrames:
    """Both dataframes for `orders` (duplicates by `id`: the last one wins).

    `currency` is the store's (from `GET /profile`); Ecwid orders do not carry it.
    """
    unique = list({order.id: order for order in orders}.values())
    o: dict[str, list[Any]] = {
        name: []
        for name in [
            *ORDER_STRING_COLUMNS,
            *ORDER_INT_COLUMNS,
            *ORDER_TIME_COLUMNS,
            "is_pickup",
            "is_cancelled",
            "payment_status",
            "fulfillment_status",
        ]
    }
    li: dict[str, list[Any]] = {
        n: [] for n in [*LINE_STRING_COLUMNS, *LINE_INT_COLUMNS, "unit_price_cents", "weight"]
    }
    li["is_shipping_required"] = []
    for order in unique:
        pickup = is_pickup(order)
        ship = order.shipping_person
        contact = ship if ship is not None and not pickup else (order.billing_person or ship)
        address = ship if not pickup else None
        street = (address.street or "") if address is not None else ""
        line1, _, rest = street.partition("\n")
        option = order.shipping_option
        cancelled = is_cancelled(order.payment_status, order.fulfillment_status)
        row = (
            _name(contact),
            contact.company_name if contact else None,
            contact.phone if contact else None,
            line1.strip() or None,
            ", ".join(p.strip() for p in rest.split("\n") if p.strip()) or None,
            address.city if address else None,
            (address.state_or_province_code or address.state_or_province_name) if address else None,
            address.postal_code if address else None,
            address.country_code.upper() if address and address.country_code else None,
            option.shipping_method_name if option else None,
            option.shipping_carrier_name if option else None,
        )
        line_rows = []
        for no, item in enumerate(order.items, start=1):
            options = "; ".join(
                f"{s.name}: {s.value}" for s in item.selected_options if s.name or s.value
            )
            shipping = item.is_shipping_required is not False and not item.digital
            line = (
                item.sku or None,
                item.name,
                options or None,
                no,
                item.id,
                item.product_id,
                item.combination_id,
                item.quantity,
                cents(item.price),
                item.weight,
                shipping,
            )
            line_rows.append(line)
            for column, value in zip(li, (order.id, *line), strict=True):
                li[column].append(value)
        money = (cents(order.subtotal), cents(option.shipping_rate) if option else None)
        money += (cents(order.tax), cents(order.total))
        relevant = (row, order.email, pickup, order.payment_status, cancelled, money)
        relevant += (currency, order.order_comments, order.pickup_time, line_rows)
        digest = hashlib.blake2b(repr(relevant).encode(), digest_size=16).hexdigest()
        values = (order.id, order.id, order.email, *row, currency, order.order_comments, digest)
        values += (order.internal_id, *money, len(order.items))
        values += (order.pickup_time.timestamp() if order.pickup_time else np.nan,)
        values += (_epoch(order.create_timestamp, order.create_date),)
        values += (_epoch(order.update_timestamp, order.update_date),)
        values += (pickup, cancelled, order.payment_status, order.fulfillment_status)
        for column, value in zip(o, values, strict=True):
            o[column].append(value)
    return OrderFrames(_orders_frame(o), _lines_frame(li))


def _orders_frame(o: dict[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.array(o[c], dtype="string") for c in ORDER_STRING_COLUMNS})
    for column in ORDER_INT_COLUMNS:
        frame[column] = pd.array(o[column], dtype="Int64")
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
        frame[column] = pd.array(li[column], dtype="Int64")
    frame["weight"] = pd.array(li["weight"], dtype="Float64")
    frame["is_shipping_required"] = np.asarray(li["is_shipping_required"], dtype=bool)
    return frame


def empty_frames() -> OrderFrames:
    return normalise_orders([])
