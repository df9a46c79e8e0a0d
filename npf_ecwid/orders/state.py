"""The order pull's own state (per-client watermark, quarantine).

Functions taking a `Connection` run inside the caller's transaction, so an adapter commits
them together with the orders they belong to (the shared transaction frame is
`npf_ecwid.warehouse.db_intake.DatabaseIntake`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, select, update

from npf_ecwid.db import dialect_insert, in_chunks
from npf_ecwid.orders.classify import Previous
from npf_ecwid.orders.ports import Quarantined
from npf_ecwid.orders.watermarks import advance_mark, read_mark
from npf_ecwid.tables import OrdersQuarantine, OrdersWatermark

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
