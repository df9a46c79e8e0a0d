"""Planning: the warehouse's shipments + the push ledger -> one planned update per order.

Pure: no database, no network. The rules (each has a test in tests/tracking/test_plan.py):

- All parcels of an order go out in one update: their tracking numbers joined with ", " (Ecwid
  has one free-text `trackingNumber` per order and shows it as typed), in shipping order
  (`shipped_at`, then the warehouse's row order), duplicates dropped. Sending them one by one
  would leave only the last one in Ecwid.
- The tracking URL is the first parcel's: the warehouse's own URL, else the carrier's template
  (`carriers.tracking_url`). It is sent only when the client has `push_tracking_url = true`.
- An order is up to date when a confirmed push (`pushed` or `already_shipped`) covers all of its
  current numbers. When a later parcel adds a number, the order is planned again with all of them.
- A `failed` push (order deleted or cancelled in Ecwid, or given up after repeated errors) is
  held, not retried, until the order's numbers change or the operator asks (`retry_failed`).
- Shipments for orders deleted in Ecwid (the order pull marked them cancelled, "deleted in
  Ecwid") are skipped with that reason before any request: there is nothing left to update.
- Shipments for orders we never handed to the warehouse (not in `npf_order`) are skipped with a
  reason and not written to the ledger: they are a WMS data problem to report, and if the order
  does turn up later it is pushed then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from npf_ecwid.tracking.carriers import tracking_url as template_url

SEPARATOR = ", "
DELETED_SKIP = "order deleted in Ecwid (marked cancelled for the warehouse): not pushed"


class PushStatus(StrEnum):
    PUSHED = "pushed"  # our PUT was accepted
    ALREADY_SHIPPED = "already_shipped"  # Ecwid already had these numbers; nothing sent
    FAILED = "failed"  # permanent: held until the numbers change or the operator retries
    ERROR = "error"  # transient: retried on the next run (ledger.MAX_ATTEMPTS times)

    @property
    def confirmed(self) -> bool:
        return self in (PushStatus.PUSHED, PushStatus.ALREADY_SHIPPED)


def number_key(number: str) -> str:
    """The form two spellings of one tracking number share: no whitespace, upper case."""
    return re.sub(r"\s+", "", number).upper()


def numbers_key(numbers: Iterable[str]) -> str:
    """Canonical, order-free key of a set of tracking numbers (the ledger's lookup key)."""
    return ",".join(sorted({number_key(n) for n in numbers}))


@dataclass(frozen=True)
class PlannedPush:
    """One order's update as planned; `decide` turns it into a request once Ecwid is read."""

    client: str
    ecwid_order_id: str
    tracking_numbers: tuple[str, ...]
    tracking_url: str | None  # None unless the client pushes URLs and one is known
    carrier: str | None
    disable_notifications: bool = False
    # The client's custom statuses mapped to shipped / cancelled (`custom_statuses`).
    shipped_custom: frozenset[str] = frozenset()
    cancelled_custom: frozenset[str] = frozenset()

    @property
    def tracking_number(self) -> str:
        return SEPARATOR.join(self.tracking_numbers)

    @property
    def key(self) -> str:
        return numbers_key(self.tracking_numbers)


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger says about one (order, set of numbers)."""

    ecwid_order_id: str
    numbers_key: str
    status: PushStatus
    attempts: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class Skipped:
    ecwid_order_id: str
    tracking_number: str
    reason: str


@dataclass
class Plan:
    pushes: list[PlannedPush] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # not pushable (unknown order, bad row)
    held: list[Skipped] = field(default_factory=list)  # failed earlier; waits for the operator
    up_to_date: int = 0  # orders whose numbers are all confirmed in Ecwid


def _ordered(shipments: pd.DataFrame) -> pd.DataFrame:
    frame = shipments.reset_index(drop=True).copy()
    frame["_row"] = range(len(frame))
    frame["_shipped"] = pd.to_datetime(frame["shipped_at"], utc=True, errors="coerce")
    sort = ["_shipped", "id", "_row"] if "id" in frame.columns else ["_shipped", "_row"]
    return frame.sort_values(sort, kind="stable", na_position="last")


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _covered(key: str, entries: list[LedgerEntry]) -> bool:
    wanted = set(key.split(","))
    return any(e.status.confirmed and wanted <= set(e.numbers_key.split(",")) for e in entries)


def plan_pushes(
    shipments: pd.DataFrame,
    ledger: Iterable[LedgerEntry],
    *,
    client: str,
    push_tracking_url: bool,
    disable_notifications: bool = False,
    known_orders: Set[str] | None = None,
    retry_failed: bool = False,
    deleted_orders: Set[str] = frozenset(),
    shipped_custom: frozenset[str] = frozenset(),
    cancelled_custom: frozenset[str] = frozenset(),
) -> Plan:
    """One `PlannedPush` per order that needs one, in the order the orders first shipped.

    `shipments` has `SHIPMENT_COLUMNS` (and optionally the warehouse row `id`); rows of other
    clients are ignored. `known_orders` is the set of order ids handed to the warehouse
    (None: do not check); `deleted_orders` those the order pull found deleted in Ecwid.
    """
    by_order: dict[str, list[LedgerEntry]] = {}
    for entry in ledger:
        by_order.setdefault(entry.ecwid_order_id, []).append(entry)

    plan = Plan()
    parcels: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for row in _ordered(shipments[shipments["client"] == client]).itertuples(index=False):
        order_id, number = _text(row.ecwid_order_id), _text(row.tracking_number)
        if order_id is None or number is None:
            plan.skipped.append(
                Skipped(order_id or "", number or "", "no order id or no tracking number")
            )
            continue
        if "," in number:
            reason = "tracking number contains ',' (one parcel per row, please)"
            plan.skipped.append(Skipped(order_id, number, reason))
            continue
        parcels.setdefault(order_id, [])
        if all(number_key(number) != number_key(n) for n, _, _ in parcels[order_id]):
            parcels[order_id].append((number, _text(row.carrier), _text(row.tracking_url)))

    for order_id, rows in parcels.items():
        numbers = tuple(number for number, _, _ in rows)
        first_number, carrier, given_url = rows[0]
        url = (given_url or template_url(carrier, first_number)) if push_tracking_url else None
        push = PlannedPush(
            client,
            order_id,
            numbers,
            url,
            carrier,
            disable_notifications,
            shipped_custom,
            cancelled_custom,
        )
        if order_id in deleted_orders:
            plan.skipped.append(Skipped(order_id, push.tracking_number, DELETED_SKIP))
            continue
        if known_orders is not None and order_id not in known_orders:
            reason = "unknown order: not handed to the warehouse through npf_order"
            plan.skipped.append(Skipped(order_id, push.tracking_number, reason))
            continue
        entries = by_order.get(order_id, [])
        if _covered(push.key, entries):
            plan.up_to_date += 1
            continue
        failed = [e for e in entries if e.numbers_key == push.key and e.status is PushStatus.FAILED]
        if failed and not retry_failed:
            reason = f"failed earlier: {failed[0].reason or 'no reason recorded'}"
            plan.held.append(Skipped(order_id, push.tracking_number, reason))
            continue
        plan.pushes.append(push)
    return plan
