"""The order pull's own state (per-client watermark, quarantine) and the transaction frame
every `OrderIntake` adapter shares.

Functions taking a `Connection` run inside the caller's transaction, so an adapter commits
them together with the orders they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, text, update

from npf_ecwid.db import dialect_insert, in_chunks, init_db
from npf_ecwid.orders.deletions import (
    Deletion,
    advance_deleted_watermark,
    find_deletions,
    read_deleted_watermark,
    record_deletions,
)
from npf_ecwid.orders.events import record_events
from npf_ecwid.orders.intake_events import deletion_events, intake_events
from npf_ecwid.orders.watermarks import advance_mark, read_mark
from npf_ecwid.tables import OrdersQuarantine, OrdersWatermark
from npf_ecwid.warehouse.base import (
    Classified,
    IntakeBatch,
    IntakeResult,
    MarkedDeleted,
    Previous,
    Quarantined,
    classify,
    handed_off_rows,
)

WATERMARK = OrdersWatermark.__table__  # type: ignore[attr-defined]
QUARANTINE = OrdersQuarantine.__table__  # type: ignore[attr-defined]


def read_watermark(connection: Connection, client: str) -> datetime | None:
    return read_mark(connection, WATERMARK, "updated_from", client)


def advance_watermark(
    connection: Connection, client: str, value: datetime | None, run_at: datetime
) -> None:
    """Store `value` unless the stored watermark is later (it never moves backwards, so a
    manual `--since` catch-up cannot rewind it). Records the run time either way."""
    advance_mark(connection, WATERMARK, "updated_from", client, value, run_at)


def record_quarantine(
    connection: Connection, client: str, entries: Sequence[Quarantined], now: datetime
) -> list[Quarantined]:
    """Insert or refresh quarantine entries (reason and raw JSON of the latest version).

    Returns the entries that are news: not held before, held before but resolved since, or
    held for another reason (the `quarantined` events)."""
    if not entries:
        return []
    held: dict[str, str] = {}
    for chunk in in_chunks([e.ecwid_order_id for e in entries]):
        held.update(
            (oid, reason)
            for oid, reason in connection.execute(
                select(QUARANTINE.c.ecwid_order_id, QUARANTINE.c.reason).where(
                    QUARANTINE.c.client == client,
                    QUARANTINE.c.ecwid_order_id.in_(chunk),
                    QUARANTINE.c.resolved_at.is_(None),
                )
            )
        )
    rows = [
        {
            "client": client,
            "ecwid_order_id": e.ecwid_order_id,
            "reason": e.reason,
            "raw_json": e.raw_json,
            "ecwid_updated_at": e.ecwid_updated_at,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
        }
        for e in entries
    ]
    statement = dialect_insert(connection, QUARANTINE)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["client", "ecwid_order_id"],
            set_={
                column: statement.excluded[column]
                for column in ("reason", "raw_json", "ecwid_updated_at", "last_seen_at")
            }
            | {"resolved_at": None},
        ),
        rows,
    )
    return [e for e in entries if held.get(e.ecwid_order_id) != e.reason]


def resolve_quarantine(
    connection: Connection, client: str, ecwid_order_ids: Sequence[str], now: datetime
) -> list[str]:
    """Mark entries resolved for orders that passed validation in this batch; returns their
    ids (the `released` events)."""
    released: list[str] = []
    for chunk in in_chunks(ecwid_order_ids):
        released += connection.execute(
            update(QUARANTINE)
            .where(
                QUARANTINE.c.client == client,
                QUARANTINE.c.ecwid_order_id.in_(chunk),
                QUARANTINE.c.resolved_at.is_(None),
            )
            .values(resolved_at=now)
            .returning(QUARANTINE.c.ecwid_order_id)
        ).scalars()
    return released


@dataclass(frozen=True)
class QuarantineEntry:
    ecwid_order_id: str
    reason: str
    first_seen_at: datetime
    last_seen_at: datetime
    raw_json: str


def list_quarantine(engine: Engine, client: str) -> list[QuarantineEntry]:
    """Unresolved quarantined orders of `client`, oldest first."""
    init_db(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                QUARANTINE.c.ecwid_order_id,
                QUARANTINE.c.reason,
                QUARANTINE.c.first_seen_at,
                QUARANTINE.c.last_seen_at,
                QUARANTINE.c.raw_json,
            )
            .where(QUARANTINE.c.client == client, QUARANTINE.c.resolved_at.is_(None))
            .order_by(QUARANTINE.c.first_seen_at, QUARANTINE.c.ecwid_order_id)
        ).all()
    return [QuarantineEntry(*row) for row in rows]


def previous_versions(
    connection: Connection, ledger: Table, client: str, ids: Sequence[str]
) -> dict[str, Previous]:
    """`{id: (content_hash, revision)}` of the orders in `ledger` (a table keyed on
    client + ecwid_order_id with `content_hash` and `revision` columns)."""
    found: dict[str, Previous] = {}
    for chunk in in_chunks(list(ids)):
        rows = connection.execute(
            select(ledger.c.ecwid_order_id, ledger.c.content_hash, ledger.c.revision).where(
                ledger.c.client == client, ledger.c.ecwid_order_id.in_(chunk)
            )
        )
        found.update({oid: Previous(digest, rev) for oid, digest, rev in rows})
    return found


class DatabaseIntake:
    """The part of every adapter that is the same: state in the integration database and one
    transaction per batch holding the hand-off, quarantine and watermark advance. Subclasses
    say where the versions handed off are recorded (`ledger`) and do the hand-off itself."""

    ledger: Table

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        init_db(engine)

    def handed_off(self, client: str, ecwid_order_ids: Sequence[str]) -> set[str]:
        with self.engine.connect() as connection:
            return set(previous_versions(connection, self.ledger, client, ecwid_order_ids))

    def watermark(self, client: str) -> datetime | None:
        with self.engine.connect() as connection:
            return read_watermark(connection, client)

    def commit(self, batch: IntakeBatch) -> IntakeResult:
        frames, now, client = batch.frames, batch.run_at, batch.client
        ids = frames.orders["ecwid_order_id"].tolist()
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # one run per client at a time
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": client}
                )
            previous = previous_versions(connection, self.ledger, client, ids)
            classified = classify(frames, previous)
            before = self.previous_rows(connection, client, classified.changed)
            self.hand_off(connection, batch, classified)
            # after the hand-off: a deletion is final, whatever this batch said of the order
            pending, ignored = find_deletions(connection, self.ledger, client, batch.deleted)
            revisions = self.cancel_deleted(connection, batch, pending) if pending else {}
            record_deletions(connection, client, pending, revisions, now)
            news = record_quarantine(connection, client, batch.quarantined, now)
            released = resolve_quarantine(connection, client, [*ids, *deleted_ids(batch)], now)
            advance_watermark(connection, client, batch.watermark, now)
            advance_deleted_watermark(connection, client, batch.deleted_watermark, now)
            events = intake_events(
                client, frames, classified, before, news, released, now, batch.flow_run
            )
            events += deletion_events(client, pending, revisions, now, batch.flow_run)
            record_events(connection, events)
        return IntakeResult(
            new=len(classified.new),
            updated=len(classified.changed),
            unchanged=len(classified.unchanged),
            quarantined=len(batch.quarantined),
            handed_off=handed_off_rows(frames, classified),
            deleted=[
                MarkedDeleted(d.ecwid_order_id, revisions[d.ecwid_order_id], d.deleted_at)
                for d in pending
                if d.ecwid_order_id in revisions
            ],
            deleted_ignored=ignored,
        )

    def deleted_watermark(self, client: str) -> datetime | None:
        with self.engine.connect() as connection:
            return read_deleted_watermark(connection, client)

    def hand_off(self, connection: Connection, batch: IntakeBatch, classified: Classified) -> None:
        raise NotImplementedError

    def cancel_deleted(
        self, connection: Connection, batch: IntakeBatch, deletions: Sequence[Deletion]
    ) -> dict[str, int]:
        """Tell the warehouse these handed-off orders are cancelled ("deleted in Ecwid");
        returns each one's new revision."""
        raise NotImplementedError

    def previous_rows(
        self, connection: Connection, client: str, ecwid_order_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """What the warehouse held for these (changed) orders before this batch, with
        `intake_events.PREVIOUS_COLUMNS`, to say what changed; {} when the adapter keeps no
        copy (the file drop)."""
        return {}


def deleted_ids(batch: IntakeBatch) -> list[str]:
    """String ids in the batch's deletion history: their quarantine entries are resolved, as
    nobody can fix an order that is gone from Ecwid."""
    return [d.order_id for d in batch.deleted if d.order_id]
