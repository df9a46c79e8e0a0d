"""`order_event`: the append-only history of what the integration did to each order.

Why a table of its own: the interface and state tables hold only an order's *current* state
(`npf_order` is overwritten on every change, the push ledger keeps one row per set of numbers).
An operator asking "what happened to ACME-1234?" needs the sequence, with the Prefect flow run
that did each step, so `npf-ecwid orders show` can point at the run's logs.

Contract:
- Rows are only ever inserted (never updated or deleted), one per state change.
- Each row is written by `record_events` on the caller's connection, i.e. in the SAME
  transaction as the state change it records: a rolled-back hand-off leaves no event, and a
  committed one always has its event. Writers: the order hand-off (`warehouse.db_intake`), the
  tracking ledger (`tracking.ledger`). Later writers (cancellation of orders deleted in Ecwid,
  the token breaker, ...) call `record_events` the same way with a new `EventKind`.
- `flow_run` is the Prefect flow-run name (e.g. `sync-orders-ACME`), passed down by the task as
  a plain string (this library never imports Prefect); None outside a flow run.
- Bulk: one executemany per call, so a 20,000-order backfill costs one statement more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Connection, Index, Text
from sqlmodel import Field, SQLModel

from npf_ecwid.db import UTCDateTime


class EventKind(StrEnum):
    HANDED_OFF = "handed_off"  # first hand-off to the warehouse (revision 1)
    UPDATED = "updated"  # changed after hand-off: revision bumped, detail says what changed
    CANCELLED = "cancelled"  # payment CANCELLED/REFUNDED or fulfilment WILL_NOT_DELIVER
    UNCANCELLED = "uncancelled"  # a cancellation undone in Ecwid
    DELETED = "deleted"  # deleted in Ecwid: marked cancelled for the warehouse (final)
    QUARANTINED = "quarantined"  # held back by validation (first time, or a new reason)
    RELEASED = "released"  # a quarantined order passed validation and was handed off
    TRACKING_PUSHED = "tracking_pushed"  # Ecwid accepted our PUT (order now SHIPPED)
    TRACKING_ALREADY = "tracking_already_shipped"  # Ecwid already had the numbers
    TRACKING_FAILED = "tracking_failed"  # permanent: held until new numbers or --retry-failed
    TRACKING_ERROR = "tracking_error"  # transient: retried by the next run


class OrderEvent(SQLModel, table=True):
    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order", "client", "ecwid_order_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=40)
    ecwid_order_id: str = Field(max_length=64)
    at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
    kind: str = Field(max_length=40)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    flow_run: str | None = Field(default=None, max_length=200)


EVENT = OrderEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Event:
    """One event to record (the row without its id)."""

    client: str
    ecwid_order_id: str
    at: datetime
    kind: EventKind
    detail: str | None = None
    flow_run: str | None = None


def record_events(connection: Connection, events: Sequence[Event]) -> None:
    """Append `events` inside the caller's transaction (one executemany; no-op when empty)."""
    if not events:
        return
    connection.execute(
        EVENT.insert(),
        [
            {
                "client": e.client,
                "ecwid_order_id": e.ecwid_order_id,
                "at": e.at,
                "kind": e.kind.value,
                "detail": e.detail,
                "flow_run": e.flow_run,
            }
            for e in events
        ],
    )
