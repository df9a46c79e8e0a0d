"""The pure parts of the deleted-orders read: where it starts, where the watermark moves, and
that an order deleted while the pull paged is never handed off new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from npf_ecwid.config import parse_client
from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.normalise import normalise_orders
from npf_ecwid.orders.deletions import (
    DELETED_REASON,
    DeletionQuery,
    next_deleted_watermark,
    plan_deletions,
)
from npf_ecwid.orders.filters import OVERLAP
from npf_ecwid.orders.pull import Fetched, prepare
from tests.orders.ecwid_orders import order

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def client(**fields):
    return parse_client("ACME", {"store_id": 1003, "token": "env:T", **fields})


def test_reads_from_the_watermark_minus_the_overlap_else_the_start_date() -> None:
    assert plan_deletions(client(), T0) == DeletionQuery(T0 - OVERLAP)
    melbourne = client(order_start_date="2026-01-01", timezone="Australia/Melbourne")
    first = plan_deletions(melbourne, None)
    assert first.deleted_from == datetime(2025, 12, 31, 13, tzinfo=UTC)
    assert str(first) == "orders deleted from 2025-12-31T13:00:00+00:00"
    assert str(plan_deletions(client(), None)) == "orders deleted from the start of the history"


def test_watermark_is_the_latest_deletion_capped_at_the_run_start() -> None:
    early, late = (
        DeletedOrder(id=n, order_id=f"A{n}", date=T0 + timedelta(minutes=n)) for n in (1, 9)
    )
    assert next_deleted_watermark([late, early], T0 + timedelta(hours=1)) == late.date
    assert next_deleted_watermark([late], T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    assert next_deleted_watermark([], T0) is None


def test_an_order_deleted_while_paging_is_skipped_not_handed_off() -> None:
    kept, gone, by_internal = (
        order("ACME-1"),
        order("ACME-2", internalId=2),
        order("ACME-3", internalId=3),
    )
    deleted = [
        DeletedOrder(id=2, order_id="ACME-2", date=T0),
        DeletedOrder(id=3, order_id=None, date=T0),  # Ecwid may leave `orderId` out
    ]
    frames = normalise_orders([kept, gone, by_internal], "AUD")
    prepared = prepare(client(), Fetched(frames, deleted=tuple(deleted)), set())
    assert prepared.frames.orders["ecwid_order_id"].tolist() == ["ACME-1"]
    assert prepared.skipped == {"ACME-2": DELETED_REASON, "ACME-3": DELETED_REASON}
    assert prepared.pulled == 3
