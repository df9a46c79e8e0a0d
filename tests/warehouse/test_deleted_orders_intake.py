"""Deletions in the hand-off adapters on real databases: a handed-off order deleted in Ecwid is
cancelled once (SQL: columns; files: a cancellation record), never-handed-off ones are ignored,
re-reads change nothing, and an older database gains `npf_order.cancel_reason`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from npf_ecwid.db import get_engine
from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.migrations import upgrade
from npf_ecwid.normalise import normalise_orders
from npf_ecwid.orders.deletions import DELETED_REASON, deleted_order_ids
from npf_ecwid.orders.ports import IntakeBatch
from npf_ecwid.tables import NpfOrder
from npf_ecwid.warehouse.files_orders import FileOrderIntake
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from tests.dbs import upgraded
from tests.orders.ecwid_orders import order
from tests.warehouse.legacy import legacy_database

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
GONE_AT = T0 + timedelta(minutes=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return upgraded(f"sqlite:///{tmp_path}/wh.db")
    return upgraded(request.getfixturevalue("postgres_url"))


def batch(orders=(), at=T0, deleted=(), watermark=None, deleted_watermark=None):
    frames = normalise_orders(list(orders), "AUD")
    return IntakeBatch("ACME", frames, [], watermark, at, list(deleted), deleted_watermark)


def gone(order_id: str | None, internal_id: int, at: datetime = GONE_AT) -> DeletedOrder:
    return DeletedOrder(id=internal_id, order_id=order_id, date=at)


def rows(url, sql):
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def stamp(url: str, order_id: str, column: str) -> datetime:
    """A timestamp column read back through the model (aware UTC on every database)."""
    with get_engine(url).connect() as conn:
        query = select(getattr(NpfOrder, column)).where(NpfOrder.ecwid_order_id == order_id)
        return conn.execute(query).scalar_one()


STATE = "SELECT ecwid_order_id, cancel_reason, revision, cancelled_at IS NOT NULL FROM npf_order"


def test_deleted_order_is_cancelled_once_and_others_untouched(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A", internalId=1), order("B", internalId=2)]))
    later = T0 + timedelta(hours=1)
    result = intake.commit(
        batch(at=later, deleted=[gone("A", 1), gone("X", 9)], deleted_watermark=GONE_AT)
    )
    assert [(m.ecwid_order_id, m.revision) for m in result.deleted] == [("A", 2)]
    assert result.deleted_ignored == ["X"]  # never handed off
    assert sorted(rows(db_url, STATE)) == [
        ("A", DELETED_REASON, 2, True),
        ("B", None, 1, False),
    ]
    assert stamp(db_url, "A", "changed_at") == later
    assert deleted_order_ids(get_engine(db_url), "ACME") == {"A"}
    assert intake.deleted_watermark("ACME") == GONE_AT
    # the overlap window reads the same deletion again: nothing changes
    again = intake.commit(batch(at=later + timedelta(minutes=5), deleted=[gone("A", 1)]))
    assert again.deleted == [] and again.deleted_ignored == []
    assert sorted(rows(db_url, STATE))[0] == ("A", DELETED_REASON, 2, True)
    assert intake.deleted_watermark("ACME") == GONE_AT  # None never moves it


def test_deletion_matched_by_internal_id_and_final_over_a_late_copy(db_url):
    intake = SqlOrderIntake(get_engine(db_url))
    intake.commit(batch([order("A", internalId=41, paymentStatus="CANCELLED")]))
    first = stamp(db_url, "A", "cancelled_at")
    assert first == T0
    result = intake.commit(batch(at=T0 + timedelta(hours=1), deleted=[gone(None, 41)]))
    assert [m.ecwid_order_id for m in result.deleted] == ["A"]
    assert rows(db_url, STATE) == [("A", DELETED_REASON, 2, True)]
    assert stamp(db_url, "A", "cancelled_at") == first  # kept
    # a copy pulled before the deletion (PAID again) must not clear the cancellation
    intake.commit(batch([order("A", internalId=41, total=1.0)], at=T0 + timedelta(hours=2)))
    assert rows(db_url, STATE)[0][1:] == (DELETED_REASON, 3, True)


def test_file_outbox_gets_one_cancellation_record(tmp_path):
    engine = get_engine(upgraded(f"sqlite:///{tmp_path}/state.db"))
    intake = FileOrderIntake(engine, tmp_path / "outbox")
    intake.commit(batch([order("A"), order("B")]))
    later = T0 + timedelta(hours=1)
    result = intake.commit(batch(at=later, deleted=[gone("A", 1001), gone("Z", 5)]))
    intake.commit(batch(at=later + timedelta(minutes=5), deleted=[gone("A", 1001)]))  # re-read
    assert [(m.ecwid_order_id, m.revision) for m in result.deleted] == [("A", 2)]
    files = sorted(p.name for p in (tmp_path / "outbox" / "ACME").iterdir())
    assert [name.split("-")[0] for name in files] == ["cancellations", "orders"]
    record = json.loads((tmp_path / "outbox" / "ACME" / files[0]).read_text())
    assert record["cancellations"] == [
        {
            "ecwid_order_id": "A",
            "revision": 2,
            "cancelled": True,
            "cancelled_at": later.isoformat(),
            "cancel_reason": DELETED_REASON,
            "deleted_at": GONE_AT.isoformat(),
        }
    ]
    ledger = rows(f"sqlite:///{tmp_path}/state.db", "SELECT revision FROM orders_file_ledger")
    assert sorted(ledger) == [(1,), (2,)]


def test_upgrade_adds_cancel_reason_to_an_older_database(empty_url):
    legacy = legacy_database(empty_url)  # as init_db made it, no migrations
    SqlOrderIntake(legacy).commit(batch([order("A")]))
    with legacy.begin() as conn:  # what a database made before this column looks like
        conn.execute(text("ALTER TABLE npf_order DROP COLUMN cancel_reason"))
    assert "cancel_reason" not in {c["name"] for c in inspect(legacy).get_columns("npf_order")}
    legacy.dispose()
    db_url = empty_url
    engine = get_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert rows(db_url, STATE) == [("A", None, 1, False)]  # the old row kept, reason NULL
    intake = SqlOrderIntake(engine)
    intake.commit(batch(at=T0 + timedelta(hours=1), deleted=[gone("A", 1001)]))
    assert rows(db_url, STATE) == [("A", DELETED_REASON, 2, True)]


def test_a_quarantined_order_deleted_in_ecwid_leaves_the_quarantine(tmp_path):
    from npf_ecwid.orders.ports import Quarantined
    from npf_ecwid.orders.state import list_quarantine

    engine = get_engine(upgraded(f"sqlite:///{tmp_path}/wh.db"))
    intake = SqlOrderIntake(engine)
    held = Quarantined("Q", "no SKU", "{}", T0)
    intake.commit(IntakeBatch("ACME", normalise_orders([], "AUD"), [held], None, T0))
    assert [e.ecwid_order_id for e in list_quarantine(engine, "ACME")] == ["Q"]
    result = intake.commit(batch(at=T0 + timedelta(hours=1), deleted=[gone("Q", 7)]))
    assert result.deleted_ignored == ["Q"]  # never handed off ...
    assert list_quarantine(engine, "ACME") == []  # ... and nothing left for an operator
