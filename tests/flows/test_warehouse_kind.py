"""`NPF_WAREHOUSE` switches all three directions at once (`npf_ecwid.wiring`): with `files`
the pull writes order files, the stock sync reads the stock inbox and the push reads the
shipments inbox; with `sql` each direction uses its interface table and no folder. Real
flows on the session's Prefect test server, the sandbox over real HTTP, real SQLite."""

from __future__ import annotations

import csv
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from flows.orders import sync_orders
from flows.stock import sync_stock
from flows.tracking import push_tracking
from npf_ecwid.sandbox import SandboxStore, generate_store
from npf_ecwid.settings import WarehouseKind
from npf_ecwid.stock.result import StockSyncResult
from npf_ecwid.tables import NpfShipment, NpfStock
from npf_ecwid.warehouse.sql_shipments import add_shipments
from tests.orders.served import STORE_ID, PullEnv, expected_ids
from tests.orders.test_pull_sandbox import finished

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

# Not ACME: other flow tests count artifacts keyed by their client code on the shared server.
CODE = "WIRE"
SHIPMENT_HEADER = "client,ecwid_order_id,tracking_number,carrier,tracking_url,shipped_at\n"


@pytest.fixture
def orders_store() -> SandboxStore:
    return generate_store(STORE_ID, orders=40, products=6, seed=7, order_prefix="ACME-")


def configure(
    env: PullEnv, monkeypatch: pytest.MonkeyPatch, kind: WarehouseKind
) -> tuple[Path, list[str], str]:
    """Client WIRE on `kind`, a SKU stocked both ways (`stock_both_ways`); returns the data
    dir, the orders a pull hands off and that SKU."""
    monkeypatch.setenv("NPF_WAREHOUSE", kind.value)
    env.configure(CODE, stock="on_hand", stock_max_feed_age_hours=26)
    data, sku = env.tmp / "data", next(iter(env.store.stock_by_sku()))
    stock_both_ways(env, data, sku)
    return data, expected_ids(env.store, finished), sku


def aged(path: Path, body: str) -> Path:
    """A dropped file old enough for the drop protocol (younger ones may be half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    stamp = time.time() - 120
    os.utime(path, (stamp, stamp))
    return path


def stock_both_ways(env: PullEnv, data: Path, sku: str) -> None:
    """The same SKU at 70 in the client's stock inbox and at 30 in `npf_stock` (more than any
    open orders hold, so the guard never sees a zeroing push)."""
    now = datetime.now(UTC)
    aged(
        data / "inbox" / "stock" / CODE / "stock.csv",
        f"sku,on_hand,available,updated_at\n{sku},70,70,{now.isoformat()}\n",
    )
    with Session(env.engine) as session:
        session.add(NpfStock(client=CODE, sku=sku, on_hand=30, available=30, updated_at=now))
        session.commit()


def warehouse_figure(outcome: StockSyncResult, sku: str) -> int:
    assert outcome.csv is not None
    with open(outcome.csv, newline="", encoding="utf-8") as handle:
        rows = {row["sku"]: row for row in csv.DictReader(handle)}
    return int(rows[sku]["warehouse_figure"])


def open_orders(env: PullEnv, ids: list[str]) -> list[str]:
    return [
        i
        for i in ids
        if (o := env.store.get_order(i))["paymentStatus"] == "PAID"
        and o["fulfillmentStatus"] == "AWAITING_PROCESSING"
    ]


def test_files_kind_uses_the_folders_for_all_three_directions(
    orders_env: PullEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, expected, sku = configure(orders_env, monkeypatch, WarehouseKind.FILES)

    sync_orders(client=CODE)
    outbox = data / "outbox" / "orders" / CODE  # the default outbox of the files kind
    dropped = [
        order["ecwid_order_id"]
        for path in sorted(outbox.glob("orders-*.json"))
        for order in json.loads(path.read_text(encoding="utf-8"))["orders"]
    ]
    assert sorted(dropped) == expected
    assert orders_env.order_ids(CODE) == []  # nothing in npf_order

    # dry run: no final pull, nothing sent; the report shows the figure it read
    assert warehouse_figure(sync_stock(CODE, dry_run=True), sku) == 70

    # a parcel in the shipments inbox, for an order that went out as a file (the push knows
    # it from the file drop's ledger, not from npf_order)
    order_id = open_orders(orders_env, dropped)[0]
    inbox = data / "inbox" / "shipments"
    aged(inbox / "parcels.csv", SHIPMENT_HEADER + f"{CODE},{order_id},FILE-1,AusPost,,\n")
    report = push_tracking(CODE)
    assert report.counts["pushed"] == 1
    assert orders_env.store.get_order(order_id)["trackingNumber"] == "FILE-1"
    assert (inbox / "processed" / "parcels.csv").exists()


def test_sql_kind_uses_the_tables_and_reads_no_folder(
    orders_env: PullEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, expected, sku = configure(orders_env, monkeypatch, WarehouseKind.SQL)

    sync_orders(client=CODE)
    assert orders_env.order_ids(CODE) == expected
    assert not (data / "outbox").exists()

    # the stock inbox folder exists, yet the table counts
    assert warehouse_figure(sync_stock(CODE, dry_run=True), sku) == 30

    in_table, in_file = open_orders(orders_env, expected)[:2]
    row = NpfShipment(client=CODE, ecwid_order_id=in_table, tracking_number="TABLE-1")
    assert add_shipments(orders_env.engine, [row]) == 1
    parcels = aged(
        data / "inbox" / "shipments" / "parcels.csv",
        SHIPMENT_HEADER + f"{CODE},{in_file},FILE-1,AusPost,,\n",
    )
    report = push_tracking(CODE)
    assert report.counts["pushed"] == 1
    assert orders_env.store.get_order(in_table)["trackingNumber"] == "TABLE-1"
    assert not orders_env.store.get_order(in_file).get("trackingNumber")
    assert parcels.exists()  # left where the WMS put it
