"""`sync-orders` end to end: real Prefect (the session's test server), the sandbox over real
HTTP, real SQLite/PostgreSQL. Re-runs, changes after hand-off, quarantine, a bad token,
5xx storms, and a process killed mid-run."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from typer.testing import CliRunner

from cli import app
from flows.orders import sync_orders
from npf_ecwid.orders.pull import OrderPullError
from npf_ecwid.orders.state import read_watermark
from npf_ecwid.sandbox import SandboxStore, generate_store
from runtime.lanes import lane_name
from tests.dbs import upgraded
from tests.orders.served import STORE_ID, TOKEN, PullEnv, expected_ids
from tests.orders.test_pull_sandbox import finished

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture
def orders_store() -> SandboxStore:
    """Smaller than the paging tests' store (tests/orders covers 250+): flows are slower."""
    return generate_store(STORE_ID, orders=150, seed=5, order_prefix="ACME-")


def watermark(env: PullEnv):
    with env.engine.connect() as connection:
        return read_watermark(connection, "ACME")


def paid_shipping_orders(env: PullEnv) -> list[str]:
    """Handed-off orders that are PAID, not yet shipped and not pickups (so edits show)."""
    return [
        i
        for i in env.order_ids()
        if (o := env.store.get_order(i))["paymentStatus"] == "PAID"
        and o["fulfillmentStatus"] == "AWAITING_PROCESSING"
        and not o["shippingOption"].get("isPickup")
    ]


def no_backoff(monkeypatch):
    """Patch the retry jitter (randomness) to its lower bound so storms don't take seconds."""
    monkeypatch.setattr("tenacity.wait.random.uniform", lambda low, high: low)


def test_first_run_hands_off_every_order_once_and_rerun_changes_nothing(orders_env, caplog):
    expected = expected_ids(orders_env.store, finished)
    with caplog.at_level(logging.INFO):
        first = sync_orders(client="ACME")
    # The run log says what happened to each order, then sums up.
    messages = [record.getMessage() for record in caplog.records]
    logged = [m.split()[4] for m in messages if m.startswith("client ACME: handed off ")]
    assert sorted(logged) == sorted(expected)  # one line per order
    counts = f"new {len(expected)}, updated 0, unchanged 0, quarantined 0"
    closing = (
        f"client ACME: pulled {first.pulled}, {counts}, "
        f"skipped by filter {first.skipped_by_filter}, deleted in Ecwid 0"
    )
    assert closing in messages
    assert orders_env.order_ids() == expected
    assert (first.new, first.updated, first.quarantined) == (len(expected), 0, 0)
    assert first.pulled == first.new + first.skipped_by_filter > first.new  # digital-only
    lines = orders_env.rows("SELECT count(*) FROM npf_order_line")[0][0]
    assert lines == sum(len(orders_env.store.get_order(i)["items"]) for i in expected)
    mark = watermark(orders_env)
    assert mark is not None and mark <= datetime.now(UTC)

    second = sync_orders(client="ACME")
    assert (second.new, second.updated) == (0, 0)
    assert orders_env.order_ids() == expected  # no duplicates (the key would refuse them anyway)
    assert orders_env.rows("SELECT count(*) FROM npf_order_line")[0][0] == lines
    assert orders_env.rows("SELECT max(revision) FROM npf_order") == [(1,)]

    # The Prefect REST API directly (this client version's read_artifacts sends null filters).
    with httpx.Client(base_url=PREFECT_API_URL.value()) as api:
        response = api.post(
            "/artifacts/filter",
            json={"artifacts": {"key": {"any_": ["sync-orders-acme"]}}, "sort": "CREATED_DESC"},
        )
    # Other tests on the shared Prefect server may have made older artifacts under this key;
    # this test's two runs are the newest two.
    artifacts = response.raise_for_status().json()[:2]
    assert len(artifacts) == 2 and all(a["type"] == "table" for a in artifacts)
    assert {"count": "unchanged", "orders": second.unchanged} in json.loads(artifacts[0]["data"])
    assert {"count": "new", "orders": len(expected)} in json.loads(artifacts[1]["data"])


def test_changes_after_hand_off_update_rows_and_tracking_echo_does_not(orders_env):
    sync_orders(client="ACME")
    refunded, moved, shipped = paid_shipping_orders(orders_env)[:3]
    orders_env.store.edit_order(refunded, {"paymentStatus": "REFUNDED"})
    person = dict(orders_env.store.get_order(moved)["shippingPerson"] or {})
    orders_env.store.edit_order(
        moved,
        {
            "shippingPerson": {
                **person,
                "street": "99 New Rd",
                "city": "Geelong",
                "countryCode": "AU",
            }
        },
    )
    # what our own tracking push does: only fulfilment status + tracking number move
    orders_env.store.update_order(shipped, {"fulfillmentStatus": "SHIPPED", "trackingNumber": "T1"})
    summary = sync_orders(client="ACME")
    assert summary.updated == 2 and summary.new == 0
    rows = {
        r[0]: r[1:]
        for r in orders_env.rows(
            "SELECT ecwid_order_id, revision, cancelled_at IS NOT NULL, address_line1, "
            "fulfillment_status FROM npf_order"
        )
    }
    assert rows[refunded][:2] == (2, True)
    assert rows[moved][:3] == (2, False, "99 New Rd")
    assert rows[shipped][:2] == (1, False) and rows[shipped][3] == "SHIPPED"


def test_quarantine_keeps_bad_orders_out_and_lets_the_rest_through(orders_env):
    sync_orders(client="ACME")
    good = orders_env.store.add_order()
    no_sku = orders_env.store.add_order(items=[{**good["items"][0], "sku": "", "id": 1}])
    summary = sync_orders(client="ACME")
    assert (summary.new, summary.quarantined) == (1, 1)
    assert good["id"] in orders_env.order_ids() and no_sku["id"] not in orders_env.order_ids()

    result = CliRunner().invoke(app, ["orders", "quarantine", "--client", "ACME"])
    assert result.exit_code == 0, result.output
    assert no_sku["id"] in result.output and "no SKU on a shippable line" in result.output

    orders_env.store.edit_order(no_sku["id"], {"items": [good["items"][0]]})  # merchant fixes it
    summary = sync_orders(client="ACME")
    assert summary.new == 1 and no_sku["id"] in orders_env.order_ids()
    result = CliRunner().invoke(app, ["orders", "quarantine", "--client", "ACME"])
    assert "no quarantined orders" in result.output


def test_unreadable_orders_are_quarantined_with_their_json_until_fixed(orders_env):
    sync_orders(client="ACME")
    store = orders_env.store
    good = store.add_order()
    text_qty, not_list, bad_date, no_id = (store.add_order()["id"] for _ in range(4))
    line = store.get_order(text_qty)["items"][0]
    store.edit_raw(text_qty, {"items": [{**line, "quantity": "two"}]})
    store.edit_raw(not_list, {"items": "3 x TEE-L"})
    store.edit_raw(bad_date, {"createDate": "yesterday"})
    store.edit_raw(no_id, {}, drop=("id",))  # still stored (and found) under its old id

    summary = sync_orders(client="ACME")
    assert (summary.new, summary.quarantined) == (1, 4)
    handed_off = orders_env.order_ids()
    assert good["id"] in handed_off
    assert not {text_qty, not_list, bad_date, no_id} & set(handed_off)
    held = {
        order_id: (reason, json.loads(raw))
        for order_id, reason, raw in orders_env.rows(
            "SELECT ecwid_order_id, reason, raw_json FROM orders_quarantine "
            "WHERE client = 'ACME' AND resolved_at IS NULL"
        )
    }
    reason, raw = held[text_qty]
    assert reason.startswith("unreadable order: items.0.quantity: Input should be a valid integer")
    assert (
        raw["items"][0]["quantity"] == "two" and raw["email"] == store.get_order(text_qty)["email"]
    )
    assert held[not_list][0] == "unreadable order: items: Input should be a valid list"
    assert held[bad_date][0].startswith("unreadable order: createDate: Input should be")
    [(reason, raw)] = [v for k, v in held.items() if k.startswith("(no id) ")]
    assert reason == "unreadable order: id: Field required"
    assert raw["internalId"] == store.get_order(no_id)["internalId"] and "id" not in raw
    assert len(held) == 4 and not any(TOKEN in json.dumps(raw) for _, raw in held.values())
    newest = max(store.get_order(i)["updateTimestamp"] for i in (text_qty, no_id))
    assert watermark(orders_env) >= datetime.fromtimestamp(newest, UTC)  # passed them

    store.edit_raw(text_qty, {"items": [{**line, "quantity": 2}]})  # merchant fixes it
    summary = sync_orders(client="ACME")
    assert (summary.new, summary.quarantined) == (1, 3)  # the others are re-seen, still bad
    assert text_qty in orders_env.order_ids()
    result = CliRunner().invoke(app, ["orders", "quarantine", "--client", "ACME"])
    assert result.exit_code == 0, result.output
    assert text_qty not in result.output and not_list in result.output
    assert "unreadable order: items: Input should be a valid list" in result.output


def test_quarantine_keeps_each_order_exactly_as_ecwid_sent_it(orders_env):
    """Operators debug with `raw_json`: it must be Ecwid's order, fields our models do not
    know included, for an order that parsed but is invalid (no SKU) and for one that did not
    parse (a text quantity)."""
    sync_orders(client="ACME")
    store = orders_env.store
    no_sku, text_qty = (store.add_order()["id"] for _ in range(2))
    future = {"loyaltyTier": {"name": "gold", "points": 1.50}, "extraFields": {"gift": "yes"}}
    line = store.get_order(no_sku)["items"][0]
    store.edit_raw(no_sku, {**future, "items": [{**line, "sku": "", "isShippingRequired": True}]})
    store.edit_raw(text_qty, {**future, "items": [{**line, "quantity": "two"}]})

    summary = sync_orders(client="ACME")
    assert summary.quarantined == 2
    held = dict(
        orders_env.rows(
            "SELECT ecwid_order_id, raw_json FROM orders_quarantine WHERE client = 'ACME'"
        )
    )
    for order_id in (no_sku, text_qty):
        raw = json.loads(held[order_id])
        assert raw["loyaltyTier"] == future["loyaltyTier"]
        assert raw == store.get_order(order_id)  # every field, as the sandbox holds it


def test_every_documented_transit_time_shape_is_handed_off(orders_env):
    """`shippingOption.estimatedTransitTime` is `number/string` in the docs
    (docs/ecwid/api-reference/rest-api/orders/search-orders.md): a numeric one used to make the
    order unreadable (quarantined, never shipped). Every shape now reaches `npf_order`."""
    sync_orders(client="ACME")
    store = orders_env.store
    shapes: dict[str, object] = {"number": 5, "float": 3.0, "text": "4-9 days", "null": None}
    placed, before = {}, len(store.orders())
    for name, value in [*shapes.items(), ("absent", ...)]:
        order = store.add_order()
        while order["shippingOption"].get("isPickup"):  # a pickup has no transit time
            order = store.add_order()
        option = dict(order["shippingOption"])
        option.pop("estimatedTransitTime", None)
        if value is not ...:
            option["estimatedTransitTime"] = value
        store.edit_raw(order["id"], {"shippingOption": option})
        placed[name] = order["id"]
    added = len(store.orders()) - before
    summary = sync_orders(client="ACME")
    assert (summary.new, summary.quarantined) == (added, 0)
    rows = dict(
        orders_env.rows(
            "SELECT ecwid_order_id, shipping_method FROM npf_order WHERE client = 'ACME'"
        )
    )
    for order_id in placed.values():
        assert rows[order_id] == store.get_order(order_id)["shippingOption"]["shippingMethodName"]
    # and the generated store itself carries the numeric shape (the sandbox's default data)
    assert any(
        type(o["shippingOption"].get("estimatedTransitTime")) is int
        for o in store.orders()
        if o["id"] in rows
    )


def test_rejected_token_fails_fast_without_retries(orders_env):
    orders_env.sandbox.revoke_token(TOKEN)
    with pytest.raises(OrderPullError, match=r"^client ACME: Ecwid rejected the token \(403\)$"):
        sync_orders(client="ACME")
    # The profile and page 0 go out together; neither is retried.
    assert orders_env.sandbox.count(status=403) in (1, 2)
    assert orders_env.rows("SELECT count(*) FROM npf_order") == [(0,)]
    # The token breaker is open now: the next run says why and sends nothing (not an error:
    # the failed run above alerted once; see tests/flows/test_token_breaker.py).
    sent = orders_env.sandbox.requests_with(TOKEN)
    result = CliRunner().invoke(app, ["orders", "pull", "--client", "ACME"])
    assert result.exit_code == 0, result.exception
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(
            "orders pull ACME: skipped: client ACME: not calling Ecwid: its token was refused "
            "since "
        )
    )
    assert orders_env.sandbox.requests_with(TOKEN) == sent
    assert TOKEN not in result.output


def test_transient_5xx_is_ridden_out(orders_env, monkeypatch):
    no_backoff(monkeypatch)
    orders_env.sandbox.faults.fail_rate = 0.5  # the sandbox's fault dice are seeded
    sync_orders(client="ACME")
    assert orders_env.order_ids() == expected_ids(orders_env.store, finished)
    assert (
        orders_env.sandbox.count(status=500)
        + orders_env.sandbox.count(status=502)
        + orders_env.sandbox.count(status=503)
        > 0
    )


def test_5xx_storm_mid_pagination_commits_nothing(orders_env, monkeypatch):
    no_backoff(monkeypatch)
    sync_orders(client="ACME")
    before, mark = orders_env.order_ids(), watermark(orders_env)
    added = [orders_env.store.add_order() for _ in range(150)]  # two pages in the next window
    orders_env.sandbox.faults.latency_ms = 150

    first_page = orders_env.sandbox.count(status=200, path_prefix="/orders") + 1

    def storm_after_first_page() -> None:
        orders_env.wait_for_requests(first_page)
        orders_env.sandbox.faults.fail_rate = 1.0

    storm = threading.Thread(target=storm_after_first_page)
    storm.start()
    with pytest.raises(OrderPullError, match=r"^client ACME: .*5\d\d"):
        sync_orders(client="ACME")
    storm.join()
    assert orders_env.order_ids() == before
    assert watermark(orders_env) == mark

    orders_env.sandbox.faults.fail_rate = 0.0
    orders_env.sandbox.faults.latency_ms = 0
    summary = sync_orders(client="ACME")
    assert summary.new == sum(finished(o) for o in added)
    assert orders_env.order_ids() == expected_ids(orders_env.store, finished)


def test_killed_mid_run_then_rerun_has_every_order_exactly_once(orders_env):
    sync_orders(client="ACME")
    before, mark = orders_env.order_ids(), watermark(orders_env)
    added = [orders_env.store.add_order() for _ in range(220)]
    cancelled = paid_shipping_orders(orders_env)[0]
    orders_env.store.edit_order(cancelled, {"paymentStatus": "CANCELLED"})
    orders_env.sandbox.faults.latency_ms = 400
    seen = orders_env.sandbox.count(status=200, path_prefix="/orders")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "orders", "pull", "--client", "ACME"],
        env={**orders_env.env(), "PREFECT_API_URL": PREFECT_API_URL.value()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        orders_env.wait_for_requests(seen + 1, "/orders", 120)
        process.send_signal(signal.SIGKILL)  # after its first page, before the rest
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert orders_env.order_ids() == before and watermark(orders_env) == mark
    # The killed run held the client's lane; an operator drops it rather than wait for its
    # lease to expire (up to 60 s). The next run recreates it.
    with get_client(sync_client=True) as prefect:
        prefect.delete_global_concurrency_limit_by_name(lane_name("ACME"))

    orders_env.sandbox.faults.latency_ms = 0
    summary = sync_orders(client="ACME")
    assert (summary.new, summary.updated) == (sum(finished(o) for o in added), 1)
    ids = orders_env.rows("SELECT ecwid_order_id FROM npf_order")
    assert sorted(i for (i,) in ids) == expected_ids(orders_env.store, finished)
    assert len(ids) == len(set(ids))
    assert orders_env.rows(
        "SELECT cancelled_at IS NOT NULL FROM npf_order WHERE ecwid_order_id = :i", i=cancelled
    ) == [(True,)]


@pytest.mark.postgres
def test_postgres(orders_env, postgres_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    orders_env.database_url = upgraded(postgres_url)
    sync_orders(client="ACME")
    sync_orders(client="ACME")
    assert orders_env.order_ids() == expected_ids(orders_env.store, finished)
    assert orders_env.rows("SELECT max(revision) FROM npf_order") == [(1,)]
