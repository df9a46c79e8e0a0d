"""Shipment sources: the npf_shipment table and the CSV file drop, on real SQLite."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.tables import NpfShipment
from npf_ecwid.warehouse.files_shipments import FileShipmentSource, inbox_dir
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource

HEADER = "client,ecwid_order_id,tracking_number,carrier,tracking_url,shipped_at\n"


@pytest.fixture
def engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path}/npf.db")
    upgrade(engine)
    return engine


def test_sql_source_reads_one_clients_parcels_in_row_order(engine) -> None:
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(NpfShipment(client="ACME", ecwid_order_id="ACME-1", tracking_number="A1"))
        session.add(NpfShipment(client="OTHER", ecwid_order_id="O-1", tracking_number="Z"))
        session.add(
            NpfShipment(client="ACME", ecwid_order_id="ACME-1", tracking_number="A2", shipped_at=at)
        )
        session.commit()
    frame = SqlShipmentSource(engine).shipments("ACME")
    assert list(frame["tracking_number"]) == ["A1", "A2"]
    assert frame["shipped_at"].iloc[1] == at
    assert SqlOrderIntake(engine).known_ids("ACME", ["ACME-1"]) == set()


def drop(data_dir: Path, name: str, body: str | bytes, *, age: float = 60.0) -> Path:
    """Write a file into the shipments inbox, `age` seconds old (the drop protocol waits for
    files younger than `MIN_AGE`: they may still be being written)."""
    inbox = inbox_dir(data_dir)
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_file_drop_adds_good_rows_moves_files_and_explains_bad_rows(engine, tmp_path) -> None:
    drop(
        tmp_path,
        "a.csv",
        HEADER + "ACME,ACME-1,A1,AusPost,,2026-11-23T01:00:00Z\n"
        "ACME,ACME-2,B1,,https://t/B1,2026-11-23 02:00:00\n",
    )
    drop(
        tmp_path,
        "b.csv",
        HEADER + "ACME,ACME-3,C1,,,\n"  # good
        "ACME,,C2,,,\n"  # no order id
        "NOPE,ACME-4,D1,,,\n"  # unknown client
        "ACME,ACME-5,E1,,ftp://x,\n"  # bad URL
        "ACME,ACME-6,F1,,,yesterday\n",  # bad date
    )
    drop(tmp_path, "c.csv", "order,number\nACME-7,G1\n")
    source = FileShipmentSource(engine, inbox_dir(tmp_path), clients={"ACME"})

    frame = source.shipments("ACME")
    assert sorted(frame["tracking_number"]) == ["A1", "B1", "C1"]
    inbox = inbox_dir(tmp_path)
    assert sorted(p.name for p in inbox.glob("*.csv")) == []
    assert [p.name for p in (inbox / "processed").iterdir()] == ["a.csv"]
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert failed == ["b.csv", "b.csv.reasons.txt", "c.csv", "c.csv.reasons.txt"]
    reasons = (inbox / "failed" / "b.csv.reasons.txt").read_text().splitlines()
    assert reasons == [
        "row 3: empty ecwid_order_id",
        "row 4: client not in the clients file",
        "row 5: tracking_url is not an http(s) URL",
        "row 6: shipped_at is not ISO 8601",
    ]
    assert (
        "header lacks column(s) client, ecwid_order_id, tracking_number"
        in (inbox / "failed" / "c.csv.reasons.txt").read_text()
    )
    naive = frame.set_index("tracking_number").loc["B1", "shipped_at"]
    assert naive == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_same_file_dropped_twice_adds_nothing(engine, tmp_path) -> None:
    body = HEADER + "ACME,ACME-1,A1,AusPost,,\n"
    source = FileShipmentSource(engine, inbox_dir(tmp_path))
    drop(tmp_path, "a.csv", body)
    assert len(source.shipments("ACME")) == 1
    drop(tmp_path, "a.csv", body)
    assert len(source.shipments("ACME")) == 1
    assert source.reports[0].added == 0
    processed = sorted(p.name for p in (inbox_dir(tmp_path) / "processed").iterdir())
    assert len(processed) == 2 and "a.csv" in processed


def test_no_inbox_folder_reads_the_table(engine, tmp_path) -> None:
    assert FileShipmentSource(engine, tmp_path / "missing").shipments("ACME").empty


def test_a_clients_own_folder_needs_no_client_column(engine, tmp_path) -> None:
    inbox = inbox_dir(tmp_path)
    drop(tmp_path, "ACME/s.csv", "ecwid_order_id,tracking_number\nACME-1,A1\n")
    drop(
        tmp_path,
        "ACME/t.csv",
        "client,ecwid_order_id,tracking_number\nOTHER,O-1,Z1\nACME,ACME-2,A2\n",
    )
    frame = FileShipmentSource(engine, inbox).shipments("ACME")
    assert sorted(frame["tracking_number"]) == ["A1", "A2"]
    reasons = (inbox / "ACME" / "failed" / "t.csv.reasons.txt").read_text()
    assert reasons == "row 2: client is not ACME (this is ACME's folder)\n"
    assert FileShipmentSource(engine, inbox).shipments("OTHER").empty
