"""The order pull's state for orders deleted in Ecwid (the integration's own tables).

- `orders_deleted_watermark`: per client, where the next read of Ecwid's deleted-orders
  history starts (the latest deletion date seen by a committed run, capped at its start).
- `orders_deletion`: one row per handed-off order whose deletion reached the warehouse (with
  the revision that carried it). Keyed on (`client`, `ecwid_order_id`), so reading the same
  deletion again changes nothing; the tracking push reads it to never push such an order.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from npf_ecwid.tables import _ts


class OrdersDeletedWatermark(SQLModel, table=True):
    __tablename__ = "orders_deleted_watermark"

    client: str = Field(primary_key=True, max_length=40)
    deleted_from: datetime | None = _ts(nullable=False)
    last_run_at: datetime | None = _ts(nullable=False)


class OrdersDeletion(SQLModel, table=True):
    __tablename__ = "orders_deletion"

    client: str = Field(primary_key=True, max_length=40)
    ecwid_order_id: str = Field(primary_key=True, max_length=64)
    internal_id: int | None = None
    deleted_at: datetime | None = _ts()  # when Ecwid deleted it (its history's `date`)
    recorded_at: datetime | None = _ts(nullable=False)  # when the warehouse was told
    revision: int = 1  # the order's revision that carries the cancellation
