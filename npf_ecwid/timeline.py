"""Everything the integration knows about one order, oldest first (`npf-ecwid orders show`).

Sources, merged by time: the order's `order_event` rows (each names the Prefect flow run that
did it), the warehouse's `npf_shipment` rows (written by the WMS, so they have no run), and
the stock effect derived from the current rows and the client's stock mode (the rules of
`stock.inflight`). Orders handed off before `order_event` existed still get their hand-off
and quarantine entries, from `npf_order.received_at` and `orders_quarantine.first_seen_at`.
Read-only. It lives beside `status.py`, above the packages whose tables it reads: inside
`orders/` it made `orders` import `tracking`, which imports `orders` for its events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, union

from npf_ecwid.config import StockMode
from npf_ecwid.orders.events import EVENT, EventKind
from npf_ecwid.orders.state import QUARANTINE
from npf_ecwid.tables import NpfOrder, NpfOrderLine, NpfShipment
from npf_ecwid.tracking.ledger import TrackingPush

ORDER = NpfOrder.__table__  # type: ignore[attr-defined]
LINE = NpfOrderLine.__table__  # type: ignore[attr-defined]
SHIPMENT = NpfShipment.__table__  # type: ignore[attr-defined]
PUSH = TrackingPush.__table__  # type: ignore[attr-defined]

LABELS = {
    EventKind.HANDED_OFF: "handed off",
    EventKind.UPDATED: "updated",
    EventKind.CANCELLED: "cancelled",
    EventKind.UNCANCELLED: "cancellation undone",
    EventKind.QUARANTINED: "quarantined",
    EventKind.RELEASED: "released",
    EventKind.TRACKING_PUSHED: "tracking pushed",
    EventKind.TRACKING_ALREADY: "tracking already in Ecwid",
    EventKind.TRACKING_FAILED: "tracking push failed",
    EventKind.TRACKING_ERROR: "tracking push error",
}


class OrderLookupError(LookupError):
    """The order is unknown, or known for several clients; the message is the one line."""


@dataclass(frozen=True)
class Entry:
    at: datetime | None
    what: str
    detail: str
    flow_run: str | None = None
    rank: int = 0  # among entries at the same time: events (in id order) first


@dataclass
class OrderTimeline:
    client: str
    ecwid_order_id: str
    now: list[str] = field(default_factory=list)  # the current state, one line per fact
    entries: list[Entry] = field(default_factory=list)  # oldest first


def clients_of(connection: Connection, order_id: str) -> list[str]:
    """Clients for which the integration holds anything about `order_id`."""
    tables = (ORDER, QUARANTINE, EVENT, SHIPMENT)
    query = union(*(select(t.c.client).where(t.c.ecwid_order_id == order_id) for t in tables))
    return sorted(connection.execute(query).scalars())


def _pick_client(connection: Connection, order_id: str, client: str | None) -> str:
    found = clients_of(connection, order_id)
    if client is not None:
        if client not in found:
            raise OrderLookupError(f"order {order_id}: nothing recorded for client {client}")
        return client
    if not found:
        raise OrderLookupError(f"order {order_id}: nothing recorded for any client")
    if len(found) > 1:
        raise OrderLookupError(
            f"order {order_id} exists for clients {', '.join(found)}: pass --client CODE"
        )
    return found[0]


def _where(table: Any, client: str, order_id: str) -> Any:
    return (table.c.client == client) & (table.c.ecwid_order_id == order_id)


def _events(connection: Connection, client: str, order_id: str) -> list[Entry]:
    rows = connection.execute(
        select(EVENT.c.at, EVENT.c.kind, EVENT.c.detail, EVENT.c.flow_run)
        .where(_where(EVENT, client, order_id))
        .order_by(EVENT.c.at, EVENT.c.id)
    )
    labels = {kind.value: label for kind, label in LABELS.items()}
    return [Entry(at, labels.get(kind, kind), detail or "", run) for at, kind, detail, run in rows]


def _stock_effect(order: Any, shipped_at: datetime | None, mode: StockMode | None) -> list[Entry]:
    """When the order's units counted as in flight for the stock sync, and when they stopped."""
    if mode is None or mode is StockMode.OFF:
        return []
    if mode is StockMode.AVAILABLE:
        start = "in flight: sold in Ecwid, not yet in the warehouse's available figure"
        end_at, end = order.received_at, "no longer in flight: allocated by the warehouse"
    else:
        start = "in flight: sold in Ecwid, still in the warehouse's stock on hand"
        end_at, end = shipped_at, "no longer in flight: left the warehouse"
    entries = [Entry(order.ecwid_created_at, "stock", start, rank=1)]
    if order.cancelled_at is not None and (end_at is None or order.cancelled_at < end_at):
        end_at, end = order.cancelled_at, "released: cancelled, Ecwid gives the units back"
    if end_at is not None:
        entries.append(Entry(end_at, "stock", end, rank=1))
    return entries


def _now_lines(connection: Connection, client: str, order_id: str, order: Any) -> list[str]:
    lines: list[str] = []
    if order is None:
        lines.append("not in npf_order: never handed to the warehouse")
    else:
        cancelled = (
            f", cancelled {order.cancelled_at:%Y-%m-%d %H:%M} UTC" if order.cancelled_at else ""
        )
        lines.append(
            f"npf_order revision {order.revision}: {order.line_count} lines, payment "
            f"{order.payment_status}, fulfilment {order.fulfillment_status}{cancelled}"
        )
        for sku, qty in connection.execute(
            select(LINE.c.sku, LINE.c.quantity)
            .where(_where(LINE, client, order_id))
            .order_by(LINE.c.line_no)
        ):
            lines.append(f"  line {sku} x {qty}")
    held = connection.execute(
        select(QUARANTINE.c.reason, QUARANTINE.c.resolved_at).where(
            _where(QUARANTINE, client, order_id)
        )
    ).first()
    if held is not None:
        state = "resolved" if held.resolved_at else "HELD"
        lines.append(f"quarantine ({state}): {held.reason}")
    for number, status, attempts, reason in connection.execute(
        select(PUSH.c.tracking_number, PUSH.c.status, PUSH.c.attempts, PUSH.c.reason)
        .where(_where(PUSH, client, order_id))
        .order_by(PUSH.c.id)
    ):
        why = f": {reason}" if reason else ""
        lines.append(f"tracking {number}: {status} after {attempts} attempt(s){why}")
    return lines


def order_timeline(
    engine: Engine,
    order_id: str,
    *,
    client: str | None = None,
    stock_modes: Mapping[str, StockMode] | None = None,
) -> OrderTimeline:
    """The order's timeline; `OrderLookupError` if unknown or ambiguous without `client`."""
    with engine.connect() as connection:
        code = _pick_client(connection, order_id, client)
        order = connection.execute(select(ORDER).where(_where(ORDER, code, order_id))).first()
        entries = _events(connection, code, order_id)
        kinds = {e.what for e in entries}
        if order is not None and LABELS[EventKind.HANDED_OFF] not in kinds:
            entries.append(Entry(order.received_at, "handed off", "before order events existed"))
        held = connection.execute(
            select(QUARANTINE.c.first_seen_at, QUARANTINE.c.reason).where(
                _where(QUARANTINE, code, order_id)
            )
        ).first()
        if held is not None and LABELS[EventKind.QUARANTINED] not in kinds:
            entries.append(Entry(held.first_seen_at, "quarantined", held.reason))
        shipped: list[datetime] = []
        for number, carrier, at in connection.execute(
            select(SHIPMENT.c.tracking_number, SHIPMENT.c.carrier, SHIPMENT.c.shipped_at)
            .where(_where(SHIPMENT, code, order_id))
            .order_by(SHIPMENT.c.id)
        ):
            shipped += [at] if at is not None else []
            entries.append(
                Entry(at, "shipment recorded", f"{number} ({carrier or 'no carrier'}) by the WMS")
            )
        if order is not None:
            mode = (stock_modes or {}).get(code)
            entries += _stock_effect(order, min(shipped, default=None), mode)
        now = _now_lines(connection, code, order_id, order)
    ordered = sorted(
        enumerate(entries),
        key=lambda p: (p[1].at is None, p[1].at or datetime.min, p[1].rank, p[0]),
    )
    return OrderTimeline(code, order_id, now, [entry for _, entry in ordered])


def render_timeline(timeline: OrderTimeline) -> list[str]:
    """Lines for the terminal: the current state, then one line per entry, with the run."""
    lines = [f"order {timeline.ecwid_order_id} (client {timeline.client})", "now:"]
    lines += [f"  {line}" for line in timeline.now]
    lines.append("history (oldest first; [flow run] to open in the Prefect UI):")
    width = max((len(e.what) for e in timeline.entries), default=0)
    for entry in timeline.entries:
        at = "unknown time       " if entry.at is None else f"{entry.at:%Y-%m-%d %H:%M:%S}"
        run = f"  [{entry.flow_run}]" if entry.flow_run else ""
        lines.append(f"  {at} UTC  {entry.what.ljust(width)}  {entry.detail}{run}")
    return lines
