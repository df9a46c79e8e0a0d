"""File-drop adapter of `OrderIntake`: one JSON file per batch in an outbox folder.

For warehouses that take files instead of reading `npf_order`. Each commit that has new or
changed orders writes `<outbox>/<client>/orders-<client>-<UTC time>-<digest>.json`:

    {"client": "ACME", "written_at": "...", "orders": [
        {"ecwid_order_id": "ACME-1001", "order_ref": ..., "revision": 1, "change": "new",
         "cancelled": false, ..., "lines": [{"line_no": 1, "sku": ..., "quantity": 2, ...}]}]}

Atomic: written to a temp file in the same folder, fsynced, then `os.replace`d, so a reader
never sees half a file (readers should ignore `*.tmp`). Which version of each order was
dropped is kept in `orders_file_ledger`, committed with the watermark after the file is in
place. If the process dies between the file and that commit, the next run drops those orders
again in a new file: delivery is at-least-once, and consumers deduplicate on
(`client`, `ecwid_order_id`, `revision`), which is stable for the same content.

An order deleted in Ecwid after it was dropped gets a record in
`<outbox>/<client>/cancellations-<client>-<UTC time>-<digest>.json`:

    {"client": "ACME", "written_at": "...", "cancellations": [
        {"ecwid_order_id": "ACME-1001", "revision": 2, "cancelled": true, "cancelled_at": ...,
         "cancel_reason": "deleted in Ecwid", "deleted_at": ...}]}
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, update

from npf_ecwid.db import dialect_insert
from npf_ecwid.normalise import OrderFrames, frame_records
from npf_ecwid.orders.classify import Classified
from npf_ecwid.orders.deletions import DELETED_REASON, Deletion
from npf_ecwid.orders.ports import IntakeBatch
from npf_ecwid.orders.state import previous_versions
from npf_ecwid.tables import OrdersFileLedger
from npf_ecwid.warehouse.db_intake import DatabaseIntake
from npf_ecwid.warehouse.sql_orders import LINE_COLUMNS, ORDER_COLUMNS

LEDGER = OrdersFileLedger.__table__  # type: ignore[attr-defined]


def write_atomically(path: Path, data: bytes) -> None:
    """`path` appears complete or not at all (temp file + fsync + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class FileOrderIntake(DatabaseIntake):
    """`OrderIntake` writing batch files to `outbox`; state in the integration database."""

    ledger = LEDGER

    def __init__(self, engine: Engine, outbox: Path) -> None:
        super().__init__(engine)
        self.outbox = outbox

    def hand_off(self, connection: Connection, batch: IntakeBatch, classified: Classified) -> None:
        dropped = [*classified.new, *classified.changed]
        if not dropped:
            return
        revisions = {
            oid: classified.previous[oid].revision + 1 if oid in classified.previous else 1
            for oid in dropped
        }
        frames = batch.frames.only(dropped)
        path = self._write(batch.client, frames, revisions, set(classified.previous), batch.run_at)
        self._record(connection, batch.client, frames, revisions, path, batch.run_at)

    def _write(
        self,
        client: str,
        frames: OrderFrames,
        revisions: dict[str, int],
        known: set[str],
        now: datetime,
    ) -> Path:
        lines: dict[str, list[dict]] = {}
        for line in frame_records(frames.lines, LINE_COLUMNS):
            lines.setdefault(line.pop("ecwid_order_id"), []).append(line)
        orders = []
        columns = ["ecwid_order_id", *ORDER_COLUMNS, "is_cancelled"]
        for row in frame_records(frames.orders, columns):
            oid = row["ecwid_order_id"]
            row["cancelled"] = row.pop("is_cancelled")
            row.pop("content_hash")
            row |= {"revision": revisions[oid], "change": "updated" if oid in known else "new"}
            orders.append(row | {"lines": lines.get(oid, [])})
        document = {"client": client, "written_at": now.isoformat(), "orders": orders}
        return self._drop(client, "orders", document, now)

    def cancel_deleted(
        self, connection: Connection, batch: IntakeBatch, deletions: Sequence[Deletion]
    ) -> dict[str, int]:
        """One `cancellations-...json` file for the orders Ecwid deleted (their content is
        gone from Ecwid, so no order record can be written again), each at its last dropped
        revision + 1; the ledger keeps that revision. Same at-least-once rule as order files."""
        ids = [d.ecwid_order_id for d in deletions]
        previous = previous_versions(connection, LEDGER, batch.client, ids)
        revisions = {oid: previous[oid].revision + 1 for oid in ids if oid in previous}
        now = batch.run_at
        records = [
            {
                "ecwid_order_id": d.ecwid_order_id,
                "revision": revisions[d.ecwid_order_id],
                "cancelled": True,
                "cancelled_at": now,
                "cancel_reason": DELETED_REASON,
                "deleted_at": d.deleted_at,
            }
            for d in deletions
            if d.ecwid_order_id in revisions
        ]
        document = {"client": batch.client, "written_at": now.isoformat(), "cancellations": records}
        path = self._drop(batch.client, "cancellations", document, now)
        for oid, revision in revisions.items():
            connection.execute(
                update(LEDGER)
                .where(LEDGER.c.client == batch.client, LEDGER.c.ecwid_order_id == oid)
                .values(revision=revision, file_name=path.name, written_at=now)
            )
        return revisions

    def _drop(self, client: str, kind: str, document: dict[str, Any], now: datetime) -> Path:
        data = json.dumps(document, default=_json_default, ensure_ascii=False).encode()
        digest = hashlib.sha256(data).hexdigest()[:10]
        path = self.outbox / client / f"{kind}-{client}-{now:%Y%m%dT%H%M%S%fZ}-{digest}.json"
        write_atomically(path, data)
        return path

    @staticmethod
    def _record(
        connection: Connection,
        client: str,
        frames: OrderFrames,
        revisions: dict[str, int],
        path: Path,
        now: datetime,
    ) -> None:
        rows = [
            {
                "client": client,
                "ecwid_order_id": oid,
                "content_hash": digest,
                "revision": revisions[oid],
                "file_name": path.name,
                "written_at": now,
            }
            for oid, digest in zip(
                frames.orders["ecwid_order_id"], frames.orders["content_hash"], strict=True
            )
        ]
        statement = dialect_insert(connection, LEDGER)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["client", "ecwid_order_id"],
                set_={c: statement.excluded[c] for c in ("content_hash", "revision", "file_name")}
                | {"written_at": statement.excluded.written_at},
            ),
            rows,
        )
