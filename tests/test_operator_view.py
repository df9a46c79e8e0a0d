"""`npf-ecwid status`, `npf-ecwid orders show` and the flow-run names, on a demo database.

The database is built the way production builds it: the real flows (Prefect test server) pull
from the sandbox over HTTP, the warehouse records shipments and counts stock through the
interface tables, the tracking push and the stock sync run. It holds a quarantined order (no
SKU), a shipped one (tracking pushed), a cancelled one (refunded after hand-off) and a
failed-push one (cancelled in Ecwid after the warehouse shipped it, so Ecwid refuses tracking).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from prefect.states import Scheduled
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cli import app
from deployments.fleet_status import publish_fleet_status
from flows.orders import sync_orders
from flows.stock import sync_stock
from flows.tracking import push_tracking
from npf_ecwid.config import get_client as client_config
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import (
    Faults,
    Sandbox,
    SandboxStore,
    create_app,
    generate_store,
    serve_in_thread,
)
from npf_ecwid.sandbox.warehouse_sim import count_stock
from npf_ecwid.status import COLUMNS, client_status
from npf_ecwid.tables import NpfShipment
from npf_ecwid.timeline import order_timeline
from npf_ecwid.warehouse.sql_shipments import add_shipments

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

STORE_ID = 1003
TOKEN = "sandbox-token-operator-view"
CLIENTS = """[clients.ACME]
store_id = 1003
token = "env:ACME_ECWID_TOKEN"
api_url = "{api_url}"
order_prefix = "ACME-"
order_start_date = "2020-01-01"
payment_statuses = ["PAID"]
fulfillment_statuses = ["AWAITING_PROCESSING", "PROCESSING"]
push_tracking_url = true
stock = "available"
timezone = "Australia/Melbourne"
"""


@dataclass
class Demo:
    store: SandboxStore
    engine: Engine
    quarantined: str
    shipped: str
    cancelled: str
    failed: str
    run_names: dict[str, str] = field(default_factory=dict)  # flow -> name read from the API

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql), params)]

    def one(self, sql: str, **params: Any) -> Any:
        [(value,)] = self.rows(sql, **params)
        return value


def _run_name(state: Any) -> str:
    with get_client(sync_client=True) as prefect:
        return prefect.read_flow_run(state.state_details.flow_run_id).name


def _open_orders(store: SandboxStore, handed_off: set[str]) -> list[str]:
    return sorted(
        o["id"]
        for o in store.orders()
        if o["id"] in handed_off and not o["shippingOption"].get("isPickup")
    )


def _ship(engine: Engine, *order_ids: str) -> None:
    now = datetime.now(UTC)
    add_shipments(
        engine,
        [
            NpfShipment(
                client="ACME",
                ecwid_order_id=oid,
                tracking_number=f"NPF{i}AU",
                carrier="AusPost",
                shipped_at=now,
            )
            for i, oid in enumerate(order_ids, start=1)
        ],
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp: Path = tmp_path_factory.mktemp("operator-view")
    store = generate_store(STORE_ID, orders=30, seed=17, order_prefix="ACME-")
    sandbox = Sandbox([store], Faults())
    sandbox.add_token(TOKEN, STORE_ID)
    database_url = f"sqlite:///{tmp}/npf.db"
    with serve_in_thread(create_app(sandbox)) as api_url, pytest.MonkeyPatch.context() as mp:
        (tmp / "clients.toml").write_text(CLIENTS.format(api_url=api_url), encoding="utf-8")
        for key, value in {
            "NPF_CLIENTS": str(tmp / "clients.toml"),
            "NPF_DATA_DIR": str(tmp / "data"),
            "DATABASE_URL": database_url,
            "ACME_ECWID_TOKEN": TOKEN,
        }.items():
            mp.setenv(key, value)
        mp.delenv("NPF_ORDER_OUTBOX", raising=False)
        engine = get_engine(database_url)
        upgrade(engine)

        first = sync_orders("ACME", return_state=True)
        assert first.is_completed(), first.message
        with engine.connect() as connection:
            handed = set(connection.execute(text("SELECT ecwid_order_id FROM npf_order")).scalars())
        cancelled, shipped, failed = _open_orders(store, handed)[:3]
        good = store.get_order(shipped)
        quarantined = store.add_order(items=[{**good["items"][0], "sku": "", "id": 1}])["id"]
        store.edit_order(cancelled, {"paymentStatus": "REFUNDED"})
        assert sync_orders("ACME", return_state=True).is_completed()

        _ship(engine, shipped, failed)  # the WMS ships two orders...
        skus = [sku for sku, qty in store.stock_by_sku().items() if qty is not None]
        count_stock(engine, "ACME", skus)  # ...and counts its stock
        store.edit_order(failed, {"fulfillmentStatus": "WILL_NOT_DELIVER"})  # merchant cancels

        pushed = push_tracking("ACME", return_state=True)
        assert pushed.is_completed(), pushed.message
        stocked = sync_stock("ACME", return_state=True)  # its final pull sees the cancellation
        assert stocked.is_completed(), stocked.message

        result = Demo(store, engine, quarantined, shipped, cancelled, failed)
        result.run_names = {
            "sync-orders": _run_name(first),
            "push-tracking": _run_name(pushed),
            "sync-stock": _run_name(stocked),
        }
        yield result


def test_flow_runs_are_named_after_flow_and_client(demo: Demo) -> None:
    assert demo.run_names == {
        "sync-orders": "sync-orders-ACME",
        "push-tracking": "push-tracking-ACME",
        "sync-stock": "sync-stock-ACME",
    }


def _history(demo: Demo, order_id: str) -> list[tuple[str, str | None]]:
    timeline = order_timeline(demo.engine, order_id, stock_modes={})
    return [(e.what, e.flow_run) for e in timeline.entries]


def test_timeline_of_a_cancelled_order(demo: Demo) -> None:
    pull = "sync-orders-ACME"
    assert _history(demo, demo.cancelled) == [
        ("handed off", pull),
        ("updated", pull),
        ("cancelled", pull),
    ]
    timeline = order_timeline(demo.engine, demo.cancelled)
    updated = next(e for e in timeline.entries if e.what == "updated")
    assert updated.detail == "revision 2: payment_status, cancellation changed"
    assert "npf_order revision 2" in timeline.now[0] and "cancelled" in timeline.now[0]


def test_timeline_of_a_shipped_order_and_its_stock_effect(demo: Demo) -> None:
    # Our own push moved the order to SHIPPED in Ecwid; the next pull saw that: not a change.
    assert _history(demo, demo.shipped) == [
        ("handed off", "sync-orders-ACME"),
        ("shipment recorded", None),
        ("tracking pushed", "push-tracking-ACME"),
    ]
    modes = {"ACME": client_config(Path(os.environ["NPF_CLIENTS"]), "ACME").stock}
    entries = order_timeline(demo.engine, demo.shipped, stock_modes=modes).entries
    stock = [e.detail for e in entries if e.what == "stock"]
    assert stock == [
        "in flight: sold in Ecwid, not yet in the warehouse's available figure",
        "no longer in flight: allocated by the warehouse",
    ]
    times = [e.at for e in entries]
    assert times == sorted(times)
    handed_off = next(e for e in entries if e.what == "handed off")
    allocated = next(e for e in entries if e.detail.startswith("no longer in flight"))
    assert allocated.at == handed_off.at  # npf_order.received_at: the hand-off's commit


def test_timeline_of_a_failed_push(demo: Demo) -> None:
    history = _history(demo, demo.failed)
    assert history == [
        ("handed off", "sync-orders-ACME"),
        ("shipment recorded", None),
        ("tracking push failed", "push-tracking-ACME"),
        ("updated", "sync-orders-ACME"),  # the stock sync's final pull, a subflow
        ("cancelled", "sync-orders-ACME"),
    ]
    failed = next(
        e for e in order_timeline(demo.engine, demo.failed).entries if e.what.endswith("failed")
    )
    assert failed.detail == "NPF2AU: order cancelled in Ecwid (fulfillmentStatus WILL_NOT_DELIVER)"


def test_timeline_of_a_quarantined_order_via_the_cli(demo: Demo) -> None:
    result = CliRunner().invoke(app, ["orders", "show", demo.quarantined])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "not in npf_order: never handed to the warehouse" in result.output
    assert any(
        "quarantined" in line
        and "no SKU on a shippable line" in line
        and "[sync-orders-ACME]" in line
        for line in lines
    )
    assert "quarantine (HELD): " in result.output


def test_rerun_records_no_new_events(demo: Demo) -> None:
    before = demo.one("SELECT count(*) FROM order_event")
    assert sync_orders("ACME", return_state=True).is_completed()
    assert push_tracking("ACME", return_state=True).is_completed()
    assert demo.one("SELECT count(*) FROM order_event") == before


def test_ambiguous_order_needs_client(demo: Demo) -> None:
    add_shipments(
        demo.engine,
        [NpfShipment(client="BETA", ecwid_order_id=demo.cancelled, tracking_number="B1")],
    )
    result = CliRunner().invoke(app, ["orders", "show", demo.cancelled])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: order {demo.cancelled} exists for clients ACME, BETA: pass --client CODE"
    ]
    result = CliRunner().invoke(app, ["orders", "show", demo.cancelled, "--client", "ACME"])
    assert result.exit_code == 0, result.output
    unknown = CliRunner().invoke(app, ["orders", "show", "ACME-NOPE"])
    assert unknown.exit_code == 1
    assert "order ACME-NOPE: nothing recorded for any client" in unknown.output


def test_status_numbers_equal_the_tables(demo: Demo) -> None:
    now = datetime.now(UTC)
    config = client_config(Path(os.environ["NPF_CLIENTS"]), "ACME")
    row = client_status(demo.engine, config, now)
    midnight = now.astimezone(ZoneInfo("Australia/Melbourne")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    received = [r[0] for r in demo.rows("SELECT received_at FROM npf_order")]
    today = sum(
        1 for at in received if datetime.fromisoformat(str(at)).replace(tzinfo=UTC) >= midnight
    )
    updated_from, last_run = demo.rows(
        "SELECT updated_from, last_run_at FROM orders_watermark WHERE client = 'ACME'"
    )[0]
    assert row.handed_off_today == today == len(received)
    assert (
        row.quarantined
        == 1
        == demo.one("SELECT count(*) FROM orders_quarantine WHERE resolved_at IS NULL")
    )
    assert (row.to_push, row.push_failed) == (0, 1)
    assert demo.rows("SELECT ecwid_order_id, status FROM npf_tracking_push ORDER BY 1") == sorted(
        [(demo.shipped, "pushed"), (demo.failed, "failed")]
    )
    assert row.last_pull == datetime.fromisoformat(str(last_run)).replace(tzinfo=UTC)
    assert row.lag == now - datetime.fromisoformat(str(updated_from)).replace(tzinfo=UTC)
    assert row.stock == "done"
    assert row.token == "not checked"

    waiting = demo.rows(
        "SELECT ecwid_order_id FROM npf_order WHERE cancelled_at IS NULL AND ecwid_order_id "
        "NOT IN (SELECT ecwid_order_id FROM npf_shipment) ORDER BY 1 LIMIT 1"
    )[0][0]
    _ship(demo.engine, waiting)  # a new parcel: the next push will send it
    try:
        assert client_status(demo.engine, config, now).to_push == 1
    finally:
        with demo.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM npf_shipment WHERE ecwid_order_id = :o"), {"o": waiting}
            )


def test_status_cli_shows_token_check_and_next_run(demo: Demo) -> None:
    check = CliRunner().invoke(app, ["clients", "check", "ACME"])
    assert check.exit_code == 0, check.output
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    with get_client(sync_client=True) as prefect:
        run = prefect.create_flow_run(
            sync_orders, parameters={"client": "ACME"}, state=Scheduled(scheduled_time=when)
        )
    try:
        result = CliRunner().invoke(app, ["status"])
    finally:
        with get_client(sync_client=True) as prefect:
            prefect.delete_flow_run(run.id)
    assert result.exit_code == 0, result.output
    header, line = (re.split(r"\s{2,}", row.strip()) for row in result.output.splitlines())
    assert tuple(header) == COLUMNS
    cells = dict(zip(COLUMNS, line, strict=True))
    assert (cells["client"], cells["token"]) == ("ACME", "OK")
    assert (cells["quarantined"], cells["to push"], cells["push failed"]) == ("1", "0", "1")
    assert cells["next run (UTC)"] == when.strftime("%Y-%m-%d %H:%M")
    assert cells["last stock sync (UTC)"].startswith("done ")


def test_serve_publishes_the_fleet_status_artifact(demo: Demo) -> None:
    markdown = publish_fleet_status()
    with get_client(sync_client=True) as prefect:
        [latest] = prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["fleet-status"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
            offset=0,
        )
    assert latest.data == markdown
    assert "| ACME |" in markdown and "| done " in markdown
