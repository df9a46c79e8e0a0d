"""Order hand-off adapters on real databases: new, re-pull, change after hand-off, cancellation,
quarantine, watermark, all-or-nothing; the file drop."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from npf_ecwid.db import get_engine
from npf_ecwid.normalise import normalise_orders
from npf_ecwid.orders.ports import IntakeBatch, Quarantined
from npf_ecwid.orders.state import list_quarantine
from npf_ecwid.warehouse.files_orders import FileOrderIntake
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from tests.dbs import upgraded
from tests.orders.ecwid_orders import order

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return upgraded(f"sqlite:///{tmp_path}/wh.db")
    return upgraded(request.getfixturevalue("postgres_url"))


def batch(orders, at=T0, watermark=None, quarantined=(), client="ACME"):
    return IntakeBatch(client, normalise_orders(orders, "AUD"), list(quarantined), watermark, at)


def rows(url, sql):
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_new_then_identical_repull_is_a_no_op(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    first = intake.commit(batch([order("A"), order("B")], watermark=T0))
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert [h.order_ref for h in first.handed_off] == ["A", "B"]
    again = intake.commit(batch([order("A"), order("B")], at=T0 + timedelta(minutes=5)))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert again.handed_off == []
    assert rows(db_url, "SELECT count(*) FROM npf_order") == [(2,)]
    assert rows(db_url, "SELECT count(*) FROM npf_order_line") == [(4,)]
    # nothing was rewritten: updated_at is still the first run's
    (updated_at,) = rows(db_url, "SELECT updated_at FROM npf_order WHERE ecwid_order_id='A'")[0]
    assert str(updated_at).startswith("2026-03-01 12:00")
    assert intake.watermark("ACME") == T0
    assert intake.known_ids("ACME", ["A", "Z"]) == {"A"}


def test_update_date_and_shipped_echo_are_not_changes(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A")]))
    echo = order("A", fulfillmentStatus="SHIPPED", updateTimestamp=1775000000)
    result = intake.commit(batch([echo], at=T0 + timedelta(hours=1)))
    assert (result.updated, result.unchanged) == (0, 1)
    assert rows(db_url, "SELECT revision, fulfillment_status FROM npf_order") == [(1, "SHIPPED")]


def test_changes_after_hand_off_bump_revision_and_cancel(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A"), order("B")]))
    later = T0 + timedelta(hours=2)
    edited = order(
        "A", items=[{"id": 1, "sku": "TEE-L", "name": "Tee", "quantity": 5, "price": 19.95}]
    )
    result = intake.commit(batch([edited, order("B", paymentStatus="REFUNDED")], at=later))
    assert (result.new, result.updated) == (0, 2)
    assert {(h.order_ref, h.change, h.cancelled) for h in result.handed_off} == {
        ("A", "updated", False),
        ("B", "updated", True),
    }
    got = rows(
        db_url,
        "SELECT ecwid_order_id, revision, cancelled_at IS NOT NULL, line_count "
        "FROM npf_order ORDER BY 1",
    )
    assert got == [("A", 2, False, 1), ("B", 2, True, 2)]
    assert rows(db_url, "SELECT sku, quantity FROM npf_order_line WHERE ecwid_order_id='A'") == [
        ("TEE-L", 5)
    ]
    # cancelled_at keeps the first time it was seen cancelled; undoing clears it
    intake.commit(batch([order("B", paymentStatus="CANCELLED")], at=later + timedelta(hours=1)))
    (first_cancel,) = rows(db_url, "SELECT cancelled_at FROM npf_order WHERE ecwid_order_id='B'")
    intake.commit(batch([order("B", paymentStatus="CANCELLED")], at=later + timedelta(hours=2)))
    assert rows(db_url, "SELECT cancelled_at FROM npf_order WHERE ecwid_order_id='B'") == [
        first_cancel
    ]
    intake.commit(batch([order("B")], at=later + timedelta(hours=3)))
    assert rows(
        db_url, "SELECT cancelled_at, revision FROM npf_order WHERE ecwid_order_id='B'"
    ) == [(None, 4)]


def test_quarantine_and_resolution(db_url):
    engine = get_engine(db_url)
    intake = SqlOrderIntake(engine)
    bad = Quarantined("Q1", "line 1: no SKU on a shippable line (Tee)", '{"id": "Q1"}', T0)
    intake.commit(batch([order("A")], quarantined=[bad]))
    intake.commit(batch([order("A")], quarantined=[bad], at=T0 + timedelta(minutes=5)))
    [entry] = list_quarantine(engine, "ACME")
    assert (entry.ecwid_order_id, entry.reason) == ("Q1", bad.reason)
    assert list_quarantine(engine, "OTHER") == []
    intake.commit(batch([order("Q1")], at=T0 + timedelta(minutes=10)))  # fixed in Ecwid
    assert list_quarantine(engine, "ACME") == []


def test_watermark_never_moves_back_and_clients_are_separate(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A")], watermark=T0))
    intake.commit(batch([], watermark=T0 - timedelta(days=1)))
    intake.commit(batch([], watermark=None))
    assert intake.watermark("ACME") == T0
    intake.commit(batch([order("A")], client="BETA", watermark=T0 + timedelta(days=1)))
    assert intake.watermark("BETA") == T0 + timedelta(days=1)
    assert rows(db_url, "SELECT client, count(*) FROM npf_order GROUP BY client ORDER BY 1") == [
        ("ACME", 1),
        ("BETA", 1),
    ]


def test_failed_commit_leaves_nothing(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A")], watermark=T0))
    frames = normalise_orders([order("B"), order("C")])
    frames.lines.loc[frames.lines.index[-1], "quantity"] = None  # violates NOT NULL
    with pytest.raises(Exception, match=r"(?i)null"):
        intake.commit(IntakeBatch("ACME", frames, [], T0 + timedelta(hours=1), T0))
    assert rows(db_url, "SELECT ecwid_order_id FROM npf_order") == [("A",)]
    assert intake.watermark("ACME") == T0


def test_file_drop_writes_one_file_per_batch_atomically(tmp_path):
    engine = get_engine(upgraded(f"sqlite:///{tmp_path}/state.db"))
    intake = FileOrderIntake(engine, tmp_path / "outbox")
    intake.commit(batch([order("A"), order("B")], watermark=T0))
    intake.commit(batch([order("A"), order("B")], at=T0 + timedelta(minutes=1)))  # unchanged
    intake.commit(batch([order("A", paymentStatus="REFUNDED")], at=T0 + timedelta(minutes=2)))
    files = sorted((tmp_path / "outbox" / "ACME").iterdir())
    assert [f.suffix for f in files] == [".json", ".json"]  # no temp files left, no empty batch
    first, second = (json.loads(f.read_text()) for f in files)
    assert [(o["ecwid_order_id"], o["revision"], o["change"]) for o in first["orders"]] == [
        ("A", 1, "new"),
        ("B", 1, "new"),
    ]
    assert first["orders"][0]["lines"][0]["sku"] == "TEE-L"
    [refund] = second["orders"]
    assert (refund["revision"], refund["change"], refund["cancelled"]) == (2, "updated", True)
    assert intake.known_ids("ACME", ["A", "B", "C"]) == {"A", "B"}
    assert intake.watermark("ACME") == T0
