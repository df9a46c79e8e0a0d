"""Orders deleted in Ecwid reach the warehouse as cancellations (issue #15, item 2).

Ecwid's deleted-items history (`GET /orders/deleted`,
docs/ecwid/api-reference/rest-api/store-profile/store-reports/get-deleted-items-history.md) is
the source of truth; the `order.deleted` webhook only makes the next pull start sooner. Every
pull reads the history from its own watermark (`orders_deleted_watermark`) minus the same
overlap window as the order search (`filters.OVERLAP`), and in the same transaction as the
orders:
- a deleted order the warehouse has is marked cancelled once: `cancelled_at` set (kept if it
  was already cancelled), `cancel_reason` = "deleted in Ecwid", `revision` + 1 (the file
  adapter writes a cancellation record instead), and recorded in `orders_deletion`;
- a deleted order never handed off is logged and ignored (it can no longer be pulled);
- re-reading a deletion already recorded changes nothing (the overlap re-reads some).
History entries are matched by their string `orderId`, else by internal `id` where the
adapter's ledger keeps internal ids (`npf_order.internal_id`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Table, select

from npf_ecwid.config import ClientConfig
from npf_ecwid.db import dialect_insert, in_chunks
from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.orders.deletion_tables import OrdersDeletedWatermark, OrdersDeletion
from npf_ecwid.orders.filters import OVERLAP, start_instant
from npf_ecwid.orders.watermarks import advance_mark, read_mark

DELETED_REASON = "deleted in Ecwid"
WATERMARK = OrdersDeletedWatermark.__table__  # type: ignore[attr-defined]
DELETION = OrdersDeletion.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DeletionQuery:
    """What this run asks Ecwid's deleted-orders history for (None = from its start)."""

    deleted_from: datetime | None = None

    def __str__(self) -> str:
        start = self.deleted_from.isoformat() if self.deleted_from else "the start of the history"
        return f"orders deleted from {start}"


@dataclass(frozen=True)
class Deletion:
    """A handed-off order to mark cancelled because Ecwid deleted it."""

    ecwid_order_id: str
    internal_id: int | None
    deleted_at: datetime


def plan_deletions(
    client: ClientConfig, watermark: datetime | None, overlap: timedelta = OVERLAP
) -> DeletionQuery:
    """From the watermark minus the overlap; before the first committed run, from the client's
    order start date (an order created after it cannot have been deleted before it)."""
    if watermark is not None:
        return DeletionQuery(watermark - overlap)
    return DeletionQuery(start_instant(client.order_start_date, client.timezone))


def next_deleted_watermark(deleted: Sequence[DeletedOrder], run_at: datetime) -> datetime | None:
    """min(run start, latest deletion date read); None when nothing was read (keep)."""
    return min(max(d.date for d in deleted), run_at) if deleted else None


def read_deleted_watermark(connection: Connection, client: str) -> datetime | None:
    return read_mark(connection, WATERMARK, "deleted_from", client)


def advance_deleted_watermark(
    connection: Connection, client: str, value: datetime | None, run_at: datetime
) -> None:
    """Store `value` unless the stored one is later (never moves back)."""
    advance_mark(connection, WATERMARK, "deleted_from", client, value, run_at)


def _by_internal_id(
    connection: Connection, ledger: Table, client: str, internal_ids: list[int]
) -> dict[int, str]:
    if not internal_ids or "internal_id" not in ledger.c:
        return {}
    found: dict[int, str] = {}
    for chunk in in_chunks(internal_ids):
        rows = connection.execute(
            select(ledger.c.internal_id, ledger.c.ecwid_order_id).where(
                ledger.c.client == client, ledger.c.internal_id.in_(chunk)
            )
        )
        found.update({internal: oid for internal, oid in rows})
    return found


def _present(connection: Connection, table: Table, client: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(ids):
        found.update(
            connection.execute(
                select(table.c.ecwid_order_id).where(
                    table.c.client == client, table.c.ecwid_order_id.in_(chunk)
                )
            ).scalars()
        )
    return found


def find_deletions(
    connection: Connection, ledger: Table, client: str, deleted: Iterable[DeletedOrder]
) -> tuple[list[Deletion], list[str]]:
    """(handed-off orders to mark now, labels of deletions of orders never handed off).
    Deletions already recorded are in neither list."""
    by_id: dict[str, Deletion] = {}
    unnamed: dict[int, DeletedOrder] = {}
    for entry in deleted:
        if entry.order_id:
            known = by_id.get(entry.order_id)
            if known is None or entry.date < known.deleted_at:
                by_id[entry.order_id] = Deletion(entry.order_id, entry.id, entry.date)
        else:
            unnamed[entry.id] = entry
    named = _by_internal_id(connection, ledger, client, list(unnamed))
    ignored = [f"internal id {i}" for i in unnamed if i not in named]
    for internal, order_id in named.items():
        by_id.setdefault(order_id, Deletion(order_id, internal, unnamed[internal].date))
    ids = list(by_id)
    handed_off = _present(connection, ledger, client, ids)
    done = _present(connection, DELETION, client, ids)
    ignored += [oid for oid in ids if oid not in handed_off]
    pending = [by_id[oid] for oid in ids if oid in handed_off and oid not in done]
    return pending, ignored


def record_deletions(
    connection: Connection,
    client: str,
    deletions: Sequence[Deletion],
    revisions: dict[str, int],
    now: datetime,
) -> None:
    if not deletions:
        return
    rows = [
        {
            "client": client,
            "ecwid_order_id": d.ecwid_order_id,
            "internal_id": d.internal_id,
            "deleted_at": d.deleted_at,
            "recorded_at": now,
            "revision": revisions.get(d.ecwid_order_id, 1),
        }
        for d in deletions
    ]
    statement = dialect_insert(connection, DELETION).on_conflict_do_nothing()
    connection.execute(statement, rows)


def deleted_order_ids(engine: Engine, client: str) -> set[str]:
    """Orders of `client` the warehouse was told were deleted in Ecwid."""
    with engine.connect() as connection:
        query = select(DELETION.c.ecwid_order_id).where(DELETION.c.client == client)
        return set(connection.execute(query).scalars())
