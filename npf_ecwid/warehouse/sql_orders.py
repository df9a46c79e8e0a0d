"""SQL adapter of `OrderIntake`: upserts into `npf_order` / `npf_order_line`.

Guarantees (per `commit`, one database transaction):
- keyed on (`client`, `ecwid_order_id`): a re-pull never duplicates an order or its lines;
- a new order is inserted with `revision` 1 and `received_at` = `changed_at` = now;
- an order whose `content_hash` changed is updated in place, `revision` + 1, `changed_at` = now,
  its lines replaced; `cancelled_at` is set the first time it is seen cancelled (payment
  CANCELLED/REFUNDED or fulfilment WILL_NOT_DELIVER) and cleared if that is undone;
- an order with the same hash is not a change: no revision bump, lines untouched; only its
  informational columns (`fulfillment_status`, `ecwid_updated_at`) are refreshed if they moved;
- an order deleted in Ecwid is marked cancelled once (`cancel_deleted`, reason "deleted in
  Ecwid", revision + 1), and a later re-pull never clears that;
- quarantine entries and the watermark advance commit in the same transaction.
Bulk statements (one `INSERT .. ON CONFLICT DO UPDATE` executemany per table; SQLite and
PostgreSQL share the syntax) keep a 100,000-order backfill to seconds. On PostgreSQL a
transaction-scoped advisory lock per client serialises two runs for the same client.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, case, delete, func, select, update

from npf_ecwid.db import dialect_insert, in_chunks
from npf_ecwid.normalise import frame_records
from npf_ecwid.orders.classify import Classified
from npf_ecwid.orders.deletions import DELETED_REASON, Deletion
from npf_ecwid.orders.intake_events import PREVIOUS_COLUMNS
from npf_ecwid.orders.ports import IntakeBatch
from npf_ecwid.tables import NpfOrder, NpfOrderLine
from npf_ecwid.warehouse.db_intake import DatabaseIntake

ORDER = NpfOrder.__table__  # type: ignore[attr-defined]
LINE = NpfOrderLine.__table__  # type: ignore[attr-defined]
KEY = ("client", "ecwid_order_id")
# Refreshed on every re-pull without counting as a change.
INFORMATIONAL = ("fulfillment_status", "ecwid_updated_at", "internal_id")
STAMPS = ("received_at", "updated_at", "changed_at", "cancelled_at", "cancel_reason", "revision")


ORDER_COLUMNS = [c.name for c in ORDER.columns if c.name not in {*KEY, *STAMPS}]
LINE_COLUMNS = [c.name for c in LINE.columns if c.name != "client"]


class SqlOrderIntake(DatabaseIntake):
    """`OrderIntake` on the warehouse database (`npf_order`, `npf_order_line`)."""

    ledger = ORDER

    def previous_rows(
        self, connection: Connection, client: str, ecwid_order_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        columns = [ORDER.c[c] for c in PREVIOUS_COLUMNS]
        found: dict[str, dict[str, Any]] = {}
        for chunk in in_chunks(ecwid_order_ids):
            query = select(ORDER.c.ecwid_order_id, *columns).where(
                ORDER.c.client == client, ORDER.c.ecwid_order_id.in_(chunk)
            )
            for row in connection.execute(query).mappings():
                found[row["ecwid_order_id"]] = dict(row)
        return found

    def hand_off(self, connection: Connection, batch: IntakeBatch, classified: Classified) -> None:
        self._upsert_orders(connection, batch.client, batch.frames.orders, batch.run_at)
        rewrite = [*classified.new, *classified.changed]
        lines = batch.frames.only(rewrite).lines
        self._replace_lines(connection, batch.client, lines, classified.changed)

    @staticmethod
    def _upsert_orders(
        connection: Connection, client: str, orders: pd.DataFrame, now: datetime
    ) -> None:
        if orders.empty:
            return
        rows = frame_records(
            orders,
            ["ecwid_order_id", *ORDER_COLUMNS],
            client=client,
            received_at=now,
            updated_at=now,
            changed_at=now,
        )
        cancelled = orders["is_cancelled"].tolist()
        for row, is_cancelled in zip(rows, cancelled, strict=True):
            row["cancelled_at"] = now if is_cancelled else None
        statement = dialect_insert(connection, ORDER)
        new = statement.excluded
        changed = ORDER.c.content_hash != new.content_hash
        moved = [ORDER.c[c].is_distinct_from(new[c]) for c in INFORMATIONAL]
        upsert = statement.on_conflict_do_update(
            index_elements=list(KEY),
            set_={c: new[c] for c in ORDER_COLUMNS}
            | {
                "updated_at": new.updated_at,
                "revision": case((changed, ORDER.c.revision + 1), else_=ORDER.c.revision),
                "changed_at": case((changed, new.changed_at), else_=ORDER.c.changed_at),
                "cancelled_at": case(
                    (ORDER.c.cancel_reason == DELETED_REASON, ORDER.c.cancelled_at),  # final
                    (new.cancelled_at.is_(None), None),
                    else_=func.coalesce(ORDER.c.cancelled_at, new.cancelled_at),
                ),
            },
            # identical re-pulls (the overlap window) write nothing at all
            where=changed | _any(moved),
        )
        connection.execute(upsert, rows)

    def cancel_deleted(
        self, connection: Connection, batch: IntakeBatch, deletions: Sequence[Deletion]
    ) -> dict[str, int]:
        """`cancelled_at` (kept if already set), `cancel_reason` "deleted in Ecwid",
        `revision` + 1 and `changed_at` now, once per order (the WMS sees a change)."""
        ids = [d.ecwid_order_id for d in deletions]
        now, revisions = batch.run_at, {}
        for chunk in in_chunks(ids):
            where = (ORDER.c.client == batch.client, ORDER.c.ecwid_order_id.in_(chunk))
            connection.execute(
                update(ORDER)
                .where(*where, ORDER.c.cancel_reason.is_distinct_from(DELETED_REASON))
                .values(
                    cancelled_at=func.coalesce(ORDER.c.cancelled_at, now),
                    cancel_reason=DELETED_REASON,
                    revision=ORDER.c.revision + 1,
                    changed_at=now,
                    updated_at=now,
                )
            )
            rows = connection.execute(
                select(ORDER.c.ecwid_order_id, ORDER.c.revision).where(*where)
            )
            revisions.update({oid: revision for oid, revision in rows})
        return revisions

    @staticmethod
    def _replace_lines(
        connection: Connection, client: str, lines: pd.DataFrame, changed: list[str]
    ) -> None:
        """Insert `lines`; the old lines of `changed` orders go first (new orders have none)."""
        for chunk in in_chunks(changed):
            connection.execute(
                delete(LINE).where(LINE.c.client == client, LINE.c.ecwid_order_id.in_(chunk))
            )
        if not lines.empty:
            connection.execute(LINE.insert(), frame_records(lines, LINE_COLUMNS, client=client))


def _any(conditions: list[Any]) -> Any:
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result
