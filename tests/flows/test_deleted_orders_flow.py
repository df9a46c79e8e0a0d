"""Orders deleted in Ecwid reach the warehouse (issue #15, item 2), end to end: real Prefect,
the sandbox over real HTTP, SQLite. A handed-off order deleted in Ecwid is cancelled after the
next pull (once), and its shipment is never pushed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from flows.orders import sync_orders
from flows.tracking import push_tracking
from npf_ecwid.orders.deletions import DELETED_REASON
from npf_ecwid.sandbox import SandboxStore, generate_store
from npf_ecwid.tables import NpfShipment
from npf_ecwid.warehouse.sql_shipments import add_shipments
from tests.orders.served import STORE_ID, PullEnv

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

ORDER_SQL = (
    "SELECT cancelled_at, cancel_reason, revision, changed_at FROM npf_order "
    "WHERE client = 'ACME' AND ecwid_order_id = :o"
)


@pytest.fixture
def orders_store() -> SandboxStore:
    return generate_store(STORE_ID, orders=60, seed=5, order_prefix="ACME-")


def open_orders(env: PullEnv) -> list[str]:
    """Handed-off orders still open in Ecwid (not cancelled, not shipped)."""
    return [
        i
        for i in env.order_ids()
        if (o := env.store.get_order(i))["paymentStatus"] == "PAID"
        and o["fulfillmentStatus"] == "AWAITING_PROCESSING"
    ]


def ship(env: PullEnv, order_id: str, number: str) -> None:
    """The warehouse records a parcel (through the SQL adapter's own idempotent insert)."""
    row = NpfShipment(
        client="ACME",
        ecwid_order_id=order_id,
        tracking_number=number,
        carrier="AusPost",
        shipped_at=datetime.now(UTC),
    )
    assert add_shipments(env.engine, [row]) == 1


def test_deleted_order_is_cancelled_once_and_never_pushed(orders_env: PullEnv, caplog) -> None:
    sync_orders(client="ACME")
    gone, kept = open_orders(orders_env)[:2]
    before = orders_env.rows(ORDER_SQL, o=gone)[0]
    assert before[0] is None and before[1] is None
    never_handed = orders_env.store.add_order(paymentStatus="AWAITING_PAYMENT")["id"]
    orders_env.store.delete_order(gone)
    orders_env.store.delete_order(never_handed)

    with caplog.at_level(logging.INFO):
        summary = sync_orders(client="ACME")
    cancelled_at, reason, revision, changed_at = orders_env.rows(ORDER_SQL, o=gone)[0]
    assert cancelled_at is not None and reason == DELETED_REASON
    assert revision == before[2] + 1 and changed_at > before[3]
    assert summary.deleted_in_ecwid == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith(f"client ACME: {gone} deleted in Ecwid (") and "marked cancelled" in m
        for m in messages
    )
    assert any(f"{never_handed} deleted in Ecwid: never handed" in m for m in messages)
    assert never_handed not in orders_env.order_ids()
    assert orders_env.rows(ORDER_SQL, o=kept)[0][:3] == (None, None, before[2])

    # re-runs re-read the deletion (overlap window): nothing changes
    again = sync_orders(client="ACME")
    assert again.deleted_in_ecwid == 0
    assert orders_env.rows(ORDER_SQL, o=gone)[0][1:3] == (DELETED_REASON, revision)

    # the warehouse ships both: only the order still in Ecwid gets a PUT
    ship(orders_env, gone, "GONE-1")
    ship(orders_env, kept, "KEPT-1")
    report = push_tracking(client="ACME")
    paths = [w.path for w in orders_env.store.write_log if w.method == "PUT"]
    assert paths == [f"/orders/{kept}"]
    reads = {e.path for e in orders_env.sandbox.request_log}
    assert f"/orders/{gone}" not in reads  # decided from the warehouse side, no request
    row = next(r for r in report.rows if r["order"] == gone)
    assert row["status"] == "skipped" and "deleted in Ecwid" in row["reason"]
    assert report.counts["pushed"] == 1
