"""Stock sources (npf_stock table, CSV file drop) and the push history, on real SQLite."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.settings import Settings
from npf_ecwid.stock.handoffs import read_handoffs
from npf_ecwid.stock.history import (
    PushState,
    StockPush,
    record_intents,
    record_outcomes,
    settle_unresolved,
    start_run,
    unresolved_pushes,
)
from npf_ecwid.tables import NpfOrder, NpfShipment, NpfStock
from npf_ecwid.warehouse.files_stock import FileStockSource, stock_inbox
from npf_ecwid.warehouse.sql_stock import SqlStockSource
from npf_ecwid.wiring import open_stock_source

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path):
    engine = get_engine(f"sqlite:///{tmp_path / 'npf.db'}")
    upgrade(engine)
    return engine


def test_sql_source_reads_only_the_clients_rows(engine) -> None:
    with Session(engine) as s:
        s.add(NpfStock(client="ACME", sku="A", on_hand=5, available=3, updated_at=T0))
        s.add(NpfStock(client="ACME", sku="B", on_hand=2, available=None, updated_at=None))
        s.add(NpfStock(client="OTHER", sku="A", on_hand=99, available=99, updated_at=T0))
        s.commit()
    feed = SqlStockSource(engine).read_stock("ACME")
    by_sku = {level.sku: level for level in feed.levels}
    assert set(by_sku) == {"A", "B"} and not feed.problems
    assert by_sku["A"].available == 3 and by_sku["A"].updated_at == T0
    assert by_sku["B"].available is None


def write_csv(folder: Path, name: str, text: str, mtime: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_file_source_takes_newest_clean_csv_and_quarantines_bad_ones(tmp_path: Path) -> None:
    inbox = stock_inbox(tmp_path, "ACME")
    write_csv(inbox, "old.csv", "sku,on_hand,available\nA,1,1\nB,2,\n", T0 - timedelta(days=1))
    write_csv(
        inbox,
        "new.csv",
        "sku,on_hand,available,updated_at\n"
        "A,10,8,2026-11-23T05:00:00\n"
        "B,4,,\n"
        ",3,3,\n"
        "C,three,1,\n"
        "D,1,1,\n"
        "D,2,2,\n",
        T0,
    )
    feed = FileStockSource(tmp_path).read_stock("ACME")
    by_sku = {level.sku: level for level in feed.levels}
    assert feed.origin.endswith("old.csv")  # a file with bad rows is not used at all
    assert {sku: level.on_hand for sku, level in by_sku.items()} == {"A": 1, "B": 2}
    assert by_sku["B"].updated_at == T0 - timedelta(days=1)  # file time
    assert by_sku["B"].available is None
    assert len(feed.problems) == 1 and feed.problems[0].startswith("new.csv not used")
    reasons = (inbox / "failed" / "new.csv.reasons.txt").read_text().splitlines()
    assert len(reasons) == 3
    assert "line 4" in reasons[0] and "sku" in reasons[0]
    assert "line 5" in reasons[1] and "on_hand" in reasons[1]
    assert reasons[2] == "new.csv lines 6, 7: the same SKU 2 times"
    assert not (inbox / "new.csv").exists()
    again = FileStockSource(tmp_path).read_stock("ACME")
    assert again.origin.endswith("old.csv") and again.problems == []


def test_file_source_missing_inbox_or_header(tmp_path: Path, engine) -> None:
    assert not FileStockSource(tmp_path).read_stock("ACME").levels
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url))
    assert isinstance(open_stock_source("ACME", settings), SqlStockSource)
    write_csv(stock_inbox(tmp_path, "ACME"), "x.csv", "code,qty\nA,1\n", T0)
    assert isinstance(open_stock_source("ACME", settings), FileStockSource)
    feed = FileStockSource(tmp_path).read_stock("ACME")
    assert not feed.levels and "header lacks sku, on_hand, available" in feed.problems[0]
    assert "no usable stock CSV" in feed.problems[-1]


def test_handoffs_and_push_history(engine) -> None:
    with Session(engine) as s:
        common = {"order_ref": "x", "content_hash": "h", "updated_at": T0, "changed_at": T0}
        s.add(NpfOrder(client="ACME", ecwid_order_id="O1", received_at=T0, **common))
        s.add(NpfOrder(client="ACME", ecwid_order_id="O2", received_at=T0, **common))
        s.add(NpfShipment(client="ACME", ecwid_order_id="O2", tracking_number="T", shipped_at=T0))
        s.commit()
    handoffs = read_handoffs(engine, "ACME", ["O1", "O2", "O3"]).set_index("order_id")
    assert list(handoffs.index) == ["O1", "O2"]
    assert handoffs.loc["O2", "shipped_at"] == T0 and handoffs["shipped_at"].isna().sum() == 1

    run = start_run(engine, "ACME", "available", dry_run=False, forced=False)
    row = {
        "sku": "A",
        "product_id": 1,
        "combination_id": None,
        "before": 3,
        "target": 5,
        "delta": 2,
    }
    ids = record_intents(engine, run, "ACME", [row, {**row, "sku": "B"}])
    record_outcomes(engine, [(ids[0], PushState.APPLIED, None)])
    assert unresolved_pushes(engine, "ACME") == 1
    later = start_run(engine, "ACME", "available", dry_run=False, forced=False)
    assert settle_unresolved(engine, "ACME", later) == 1
    assert unresolved_pushes(engine, "ACME") == 0
    with Session(engine) as s:
        states = {p.sku: p.state for p in s.exec(select(StockPush))}
    assert states == {"A": "applied", "B": "superseded"}
