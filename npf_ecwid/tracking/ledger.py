"""The push ledger (`npf_tracking_push`): what tracking each order has had pushed to Ecwid.

One row per (client, order, set of tracking numbers). A row is written after each attempt:
`pushed` (Ecwid accepted our PUT), `already_shipped` (Ecwid had the numbers, nothing sent),
`error` (transient; `attempts` counts them, and at `MAX_ATTEMPTS` the row turns `failed`) or
`failed` (permanent, with the reason). Planning reads it back as `LedgerEntry`s: confirmed rows
are never sent again; failed rows wait for new numbers or `--retry-failed`.

A push is recorded only after Ecwid answered. A crash between the two leaves no row, and the next
run's read-before-write (`decide`) finds the numbers in Ecwid and records `already_shipped`
without a second PUT.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Text, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel

from npf_ecwid.db import UTCDateTime
from npf_ecwid.orders.events import Event, EventKind, record_events
from npf_ecwid.tracking.plan import LedgerEntry, PlannedPush, PushStatus

EVENT_KINDS = {
    PushStatus.PUSHED: EventKind.TRACKING_PUSHED,
    PushStatus.ALREADY_SHIPPED: EventKind.TRACKING_ALREADY,
    PushStatus.FAILED: EventKind.TRACKING_FAILED,
    PushStatus.ERROR: EventKind.TRACKING_ERROR,
}
MAX_ATTEMPTS = 5  # transient errors in a row before a push is recorded as failed


class TrackingPush(SQLModel, table=True):
    __tablename__ = "npf_tracking_push"
    __table_args__ = (UniqueConstraint("client", "ecwid_order_id", "numbers_key"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=40, index=True)
    ecwid_order_id: str = Field(max_length=64)
    numbers_key: str = Field(sa_column=Column(Text, nullable=False))  # canonical, order-free
    tracking_number: str = Field(sa_column=Column(Text, nullable=False))  # as sent
    tracking_url: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    first_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


def load_ledger(engine: Engine, client: str) -> list[LedgerEntry]:
    with Session(engine) as session:
        rows = session.execute(select(TrackingPush).where(TrackingPush.client == client))
        return [
            LedgerEntry(r.ecwid_order_id, r.numbers_key, PushStatus(r.status), r.attempts, r.reason)
            for r in rows.scalars()
        ]


def record_attempt(
    engine: Engine,
    push: PlannedPush,
    status: PushStatus,
    reason: str | None = None,
    *,
    at: datetime | None = None,
    flow_run: str | None = None,
) -> PushStatus:
    """Upsert the outcome of one attempt; returns the status stored (an `error` becomes
    `failed` once it has happened `MAX_ATTEMPTS` times). The order's `tracking_*` event
    (`orders.events`, naming `flow_run`) is written in the same transaction."""
    at = at or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = session.execute(
            select(TrackingPush).where(
                TrackingPush.client == push.client,
                TrackingPush.ecwid_order_id == push.ecwid_order_id,
                TrackingPush.numbers_key == push.key,
            )
        ).scalar_one_or_none()
        if row is None:
            row = TrackingPush(
                client=push.client,
                ecwid_order_id=push.ecwid_order_id,
                numbers_key=push.key,
                tracking_number=push.tracking_number,
                first_attempt_at=at,
            )
            session.add(row)
        row.attempts += 1
        if status is PushStatus.ERROR and row.attempts >= MAX_ATTEMPTS:
            status = PushStatus.FAILED
            reason = f"gave up after {row.attempts} attempts: {reason}"
        row.status = status.value
        row.reason = reason
        row.tracking_number = push.tracking_number
        row.tracking_url = push.tracking_url
        row.last_attempt_at = at
        if status.confirmed:
            row.confirmed_at = at
        detail = push.tracking_number + (f": {reason}" if reason else "")
        event = Event(push.client, push.ecwid_order_id, at, EVENT_KINDS[status], detail, flow_run)
        record_events(session.connection(), [event])
    return status


def recorder(
    engine: Engine, flow_run: str | None = None
) -> Callable[[PlannedPush, PushStatus, str | None], PushStatus]:
    """`record_attempt` bound to `engine` (and the flow run named in the events), in the shape
    `push.apply_plan` takes."""
    return lambda push, status, reason: record_attempt(
        engine, push, status, reason, flow_run=flow_run
    )
