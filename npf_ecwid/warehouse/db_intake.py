"""The transaction frame both `OrderIntake` adapters share (SQL tables and file drop).

State in the integration database, one transaction per batch holding the hand-off, the
quarantine and both watermark advances, so a crash leaves all of a batch or none of it. An
adapter base, so it lives with the adapters: the domain (`npf_ecwid.orders`) supplies the
port, the classification and the state functions it calls, and imports nothing from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, text

from npf_ecwid.orders.classify import Classified, classify, handed_off_rows
from npf_ecwid.orders.deletions import (
    Deletion,
    advance_deleted_watermark,
    find_deletions,
    read_deleted_watermark,
    record_deletions,
)
from npf_ecwid.orders.events import record_events
from npf_ecwid.orders.intake_events import deletion_events, intake_events
from npf_ecwid.orders.ports import IntakeBatch, IntakeResult, MarkedDeleted
from npf_ecwid.orders.state import (
    advance_watermark,
    previous_versions,
    read_watermark,
    record_quarantine,
    resolve_quarantine,
)


class DatabaseIntake:
    """The part of every adapter that is the same: state in the integration database and one
    transaction per batch holding the hand-off, quarantine and watermark advance. Subclasses
    say where the versions handed off are recorded (`ledger`) and do the hand-off itself."""

    ledger: Table

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def known_ids(self, client: str, ecwid_order_ids: Sequence[str]) -> set[str]:
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
