"""The events one order hand-off records (pure: frames and classification in, `Event`s out).

Per batch, in `order_event` (see `orders.events`):
- `handed_off` for each new order (revision 1, lines, statuses);
- `updated` for each order whose warehouse-relevant content changed, with the new revision and
  the fields that changed (when the adapter knows the previous values: the SQL tables do, the
  file drop does not);
- `cancelled` / `uncancelled` when the cancellation state flipped (for a new order: when it is
  handed off already cancelled);
- `quarantined` for entries that are new, re-opened or whose reason changed (an order seen
  again with the same problem on every 5-minute run is not news), `released` when a
  quarantined order passed validation.
Re-pulls that change nothing record nothing, so a re-run adds no events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from npf_ecwid.normalise import HASHED_ORDER_COLUMNS, OrderFrames, frame_records
from npf_ecwid.orders.classify import Classified
from npf_ecwid.orders.deletions import DELETED_REASON, Deletion
from npf_ecwid.orders.events import Event, EventKind
from npf_ecwid.orders.ports import Quarantined

# Compared with the stored row to say what changed; `is_cancelled` has its own event.
COMPARED = tuple(c for c in HASHED_ORDER_COLUMNS if c not in ("is_cancelled", "currency"))
PREVIOUS_COLUMNS = (*COMPARED, "cancelled_at")


def _changed_fields(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[str]:
    fields = [c for c in COMPARED if now.get(c) != before.get(c)]
    if bool(now["is_cancelled"]) != (before.get("cancelled_at") is not None):
        fields.append("cancellation")
    return fields or ["lines"]  # same order fields, different hash: the lines changed


def _rows(frames: OrderFrames, ids: Iterable[str], columns: Sequence[str]) -> list[dict[str, Any]]:
    orders = frames.orders[frames.orders["ecwid_order_id"].isin(set(ids))]
    return frame_records(orders, ["ecwid_order_id", *columns])


# What the events say about every order; the compared columns only for changed orders (few),
# which keeps a 20,000-order backfill's events cheap.
SUMMARY = ("line_count", "payment_status", "fulfillment_status", "is_cancelled")


def intake_events(
    client: str,
    frames: OrderFrames,
    classified: Classified,
    previous_rows: Mapping[str, Mapping[str, Any]],
    quarantined: Sequence[Quarantined],
    released: Sequence[str],
    at: datetime,
    flow_run: str | None,
) -> list[Event]:
    """The events of one committed batch (see the module docstring)."""
    events: list[Event] = []

    def add(order_id: str, kind: EventKind, detail: str | None) -> None:
        events.append(Event(client, order_id, at, kind, detail, flow_run))

    new = set(classified.new)
    rows = _rows(frames, classified.new, SUMMARY)
    rows += _rows(frames, classified.changed, (*SUMMARY, *COMPARED))
    for row in rows:
        oid = row["ecwid_order_id"]
        cancelled = bool(row["is_cancelled"])
        if oid in new:
            add(
                oid,
                EventKind.HANDED_OFF,
                f"revision 1: {row['line_count']} lines, payment {row['payment_status']}, "
                f"fulfilment {row['fulfillment_status']}",
            )
            was_cancelled = False
        else:
            revision = classified.previous[oid].revision + 1
            before = previous_rows.get(oid)
            if before is None:
                add(oid, EventKind.UPDATED, f"revision {revision}: content changed")
                was_cancelled = not cancelled  # unknown: report the state it is in now
            else:
                changed = ", ".join(_changed_fields(row, before))
                add(oid, EventKind.UPDATED, f"revision {revision}: {changed} changed")
                was_cancelled = before.get("cancelled_at") is not None
        if cancelled and not was_cancelled:
            add(
                oid,
                EventKind.CANCELLED,
                f"payment {row['payment_status']}, "
                f"fulfilment {row['fulfillment_status']}: the warehouse must not ship it",
            )
        elif was_cancelled and not cancelled and oid not in new:
            add(oid, EventKind.UNCANCELLED, f"payment {row['payment_status']} again")
    for entry in quarantined:
        add(entry.ecwid_order_id, EventKind.QUARANTINED, entry.reason)
    for oid in released:
        add(oid, EventKind.RELEASED, "passed validation; quarantine entry resolved")
    return events


def deletion_events(
    client: str,
    deletions: Sequence[Deletion],
    revisions: Mapping[str, int],
    now: datetime,
    flow_run: str | None,
) -> list[Event]:
    """One `deleted` event per handed-off order newly marked cancelled because Ecwid deleted it
    (a deletion re-read in the overlap window is not pending again, so it records nothing)."""
    return [
        Event(
            client,
            d.ecwid_order_id,
            now,
            EventKind.DELETED,
            f"{DELETED_REASON} at {d.deleted_at.isoformat()}: marked cancelled, "
            f"revision {revisions.get(d.ecwid_order_id, 1)}",
            flow_run,
        )
        for d in deletions
    ]
