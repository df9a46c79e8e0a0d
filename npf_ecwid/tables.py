"""The warehouse interface tables (the WMS reads and writes them) and the order pull's state.

Interface tables (contract in docs/contracts.md; change only on purpose):
- `npf_order`: one row per order, primary key (`client`, `ecwid_order_id`). Written by the
  order pull. `revision` starts at 1 and is bumped, with `changed_at`, every time a
  warehouse-relevant field changes after hand-off (status, address, lines, totals); the WMS
  polls `changed_at > last seen` or compares `revision`. `cancelled_at` is set when payment
  becomes CANCELLED/REFUNDED or fulfilment WILL_NOT_DELIVER (and cleared if that is undone),
  or when the order is deleted in Ecwid: then `cancel_reason` is "deleted in Ecwid", the
  revision is bumped once, and it is never cleared (`npf_ecwid.orders.deletions`).
  Money is integer cents in the store's `currency`.
- `npf_order_line`: (`client`, `ecwid_order_id`, `line_no`), one row per order item; replaced
  as a whole when the order's lines change.
- `npf_shipment`: written by the WMS, read by the tracking push; one row per parcel, unique on
  (`client`, `ecwid_order_id`, `tracking_number`) (the baseline migration adds the key to
  older databases).
- `npf_stock`: written by the WMS, read by the stock reconciliation.

State tables (the integration's own): `orders_watermark` (per-client incremental pull
position), `orders_quarantine` (orders that failed validation, with reason and raw JSON) and
`orders_file_ledger` (what the file-drop adapter last wrote per order).
All timestamps are aware UTC (`UTCDateTime`).

A schema module beside `db`, not inside `warehouse/`: the domain packages read their state
tables here and the warehouse adapters write the interface tables, so both import it and
neither imports the other (`warehouse` -> `orders`/`stock`/`tracking`, never the reverse).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from npf_ecwid.db import UTCDateTime


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class NpfOrder(SQLModel, table=True):
    __tablename__ = "npf_order"

    client: str = Field(primary_key=True, max_length=40)
    ecwid_order_id: str = Field(primary_key=True, max_length=64)
    order_ref: str = Field(max_length=64)  # what the WMS shows: Ecwid's `id`, prefix included
    internal_id: int | None = None
    email: str | None = None
    customer_name: str | None = None
    company_name: str | None = None
    phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None  # state/province code, else its name
    postcode: str | None = None
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2
    shipping_method: str | None = None
    shipping_carrier: str | None = None
    is_pickup: bool = False
    pickup_time: datetime | None = _ts()
    payment_status: str | None = Field(default=None, max_length=40)
    fulfillment_status: str | None = Field(default=None, max_length=40)
    currency: str | None = Field(default=None, max_length=3)
    subtotal_cents: int | None = None
    shipping_cents: int | None = None
    tax_cents: int | None = None
    total_cents: int | None = None
    customer_comments: str | None = Field(default=None, sa_column=Column(Text))
    line_count: int = 0
    ecwid_created_at: datetime | None = _ts()
    ecwid_updated_at: datetime | None = _ts()
    received_at: datetime | None = _ts(nullable=False)  # first hand-off
    updated_at: datetime | None = _ts(nullable=False)  # last write of any kind by the pull
    changed_at: datetime | None = _ts(nullable=False, index=True)  # last relevant change
    cancelled_at: datetime | None = _ts()
    # Why `cancelled_at` is set when the pull knows more than the statuses say: "deleted in
    # Ecwid" (the order left Ecwid; final). NULL for status cancellations.
    cancel_reason: str | None = Field(default=None, max_length=200)
    revision: int = 1
    content_hash: str = Field(max_length=64)  # over the warehouse-relevant fields only


class NpfOrderLine(SQLModel, table=True):
    __tablename__ = "npf_order_line"

    client: str = Field(primary_key=True, max_length=40)
    ecwid_order_id: str = Field(primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True)  # 1-based, in Ecwid's item order
    item_id: int | None = None  # Ecwid order item id
    product_id: int | None = None
    combination_id: int | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int
    unit_price_cents: int | None = None
    options: str | None = Field(default=None, sa_column=Column(Text))  # "Size: L; Colour: Red"
    weight: float | None = None
    is_shipping_required: bool = True


PARCEL_KEY = "uq_npf_shipment_parcel"
PARCEL_COLUMNS = ("client", "ecwid_order_id", "tracking_number")


class NpfShipment(SQLModel, table=True):
    """One parcel, unique on (`client`, `ecwid_order_id`, `tracking_number`): the same parcel
    recorded twice (a file re-read, concurrent inserts) is one row. WMS inserts should use
    `ON CONFLICT DO NOTHING` (PostgreSQL) / `INSERT OR IGNORE` (SQLite)."""

    __tablename__ = "npf_shipment"
    __table_args__ = (
        Index("ix_npf_shipment_order", "client", "ecwid_order_id"),
        Index(PARCEL_KEY, *PARCEL_COLUMNS, unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=40)
    ecwid_order_id: str = Field(max_length=64)
    tracking_number: str
    carrier: str | None = None
    tracking_url: str | None = None
    shipped_at: datetime | None = _ts()


class NpfStock(SQLModel, table=True):
    __tablename__ = "npf_stock"

    client: str = Field(primary_key=True, max_length=40)
    sku: str = Field(primary_key=True)
    on_hand: int
    available: int | None = None  # on hand minus allocated; None when the WMS does not say
    updated_at: datetime | None = _ts()


class OrdersWatermark(SQLModel, table=True):
    """Where the next incremental pull starts (Ecwid `updateDate`, minus the overlap window)."""

    __tablename__ = "orders_watermark"

    client: str = Field(primary_key=True, max_length=40)
    updated_from: datetime | None = _ts(nullable=False)
    last_run_at: datetime | None = _ts(nullable=False)


class OrdersQuarantine(SQLModel, table=True):
    """Orders that failed validation; kept for inspection, retried on every pull that sees
    them again. `resolved_at` is set once a later version passes and is handed off."""

    __tablename__ = "orders_quarantine"

    client: str = Field(primary_key=True, max_length=40)
    ecwid_order_id: str = Field(primary_key=True, max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw_json: str = Field(sa_column=Column(Text, nullable=False))
    ecwid_updated_at: datetime | None = _ts()
    first_seen_at: datetime | None = _ts(nullable=False)
    last_seen_at: datetime | None = _ts(nullable=False)
    resolved_at: datetime | None = _ts()


class OrdersFileLedger(SQLModel, table=True):
    """What the file-drop adapter has written: the version of each order last dropped."""

    __tablename__ = "orders_file_ledger"

    client: str = Field(primary_key=True, max_length=40)
    ecwid_order_id: str = Field(primary_key=True, max_length=64)
    content_hash: str = Field(max_length=64)
    revision: int = 1
    file_name: str
    written_at: datetime | None = _ts(nullable=False)
