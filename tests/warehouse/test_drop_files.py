"""Warehouse files are complete before they are read (issue #18 item 4): each reproduction from
the issue, on real files and real databases (SQLite; PostgreSQL for the over-long id)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.warehouse.files_shipments import FileShipmentSource, inbox_dir
from npf_ecwid.warehouse.files_stock import FileStockSource, stock_inbox
from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource

SECRET = "ACME_ECWID_TOKEN=secret-token-7f3a9c"
STOCK_HEADER = "sku,on_hand,available\n"
SHIP_HEADER = "client,ecwid_order_id,tracking_number,carrier,tracking_url,shipped_at\n"


def put(path: Path, body: str | bytes, age: float = 60.0) -> Path:
    """A file `age` seconds old (older than the protocol's `MIN_AGE` unless said otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def fake_env_file(tmp_path: Path) -> Path:
    return put(tmp_path / "secrets" / ".env", f"{SECRET}\nsku,on_hand,available\nA,1,1\n")


def everything_written(root: Path) -> str:
    """Every reasons file under `root`, to check no file content leaked into them."""
    return "\n".join(p.read_text() for p in root.rglob("*.reasons.txt"))


# --- stock -----------------------------------------------------------------------------------


@pytest.fixture
def stock(tmp_path: Path) -> Path:
    folder = stock_inbox(tmp_path, "ACME")
    put(folder / "complete.csv", STOCK_HEADER + "A,5,5\nB,1234,1200\n", age=3600)
    return folder


def levels(tmp_path: Path) -> tuple[dict[str, int], list[str], str]:
    feed = FileStockSource(tmp_path).read_stock("ACME")
    return {lv.sku: lv.on_hand for lv in feed.levels}, feed.problems, feed.origin


def test_a_truncated_stock_row_is_never_taken_for_a_figure(tmp_path, stock) -> None:
    put(stock / "newer.csv", STOCK_HEADER + "A,6,6\nB,12")  # cut inside "B,1234,1200"
    figures, problems, origin = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234} and origin.endswith("complete.csv")
    assert "newer.csv not used" in problems[0] and "no newline" in problems[0]
    assert (stock / "failed" / "newer.csv").exists()


def test_a_cut_row_that_ends_in_a_newline_is_refused_by_its_cell_count(tmp_path, stock) -> None:
    put(stock / "newer.csv", STOCK_HEADER + "A,6,6\nB,12\n")
    figures, problems, _ = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234}
    assert "row(s) 3: number of cells differs" in problems[0]


def test_a_newer_file_still_being_written_never_wins(tmp_path, stock) -> None:
    growing = put(stock / "newer.csv", STOCK_HEADER + "A,6,6\n", age=0)  # B not written yet
    figures, problems, origin = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234} and origin.endswith("complete.csv")
    assert problems[0].startswith("newer file waiting: newer.csv: modified")
    assert growing.exists()  # left for a later run, not failed
    later = FileStockSource(tmp_path, clock=lambda: datetime.now(UTC) + timedelta(minutes=1))
    assert {lv.sku for lv in later.read_stock("ACME").levels} == {"A"}  # complete by then


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (STOCK_HEADER + "A,100000000000000000000000,1\n", "less than or equal to 999999999"),
        (STOCK_HEADER.encode() + b"A,1,1\nB\xff\xfe,2,2\n", "not UTF-8 text (line 3"),
    ],
    ids=["on_hand_1e23", "invalid_utf8"],
)
def test_a_bad_value_sends_the_file_to_failed(tmp_path, stock, body, reason) -> None:
    put(stock / "newer.csv", body)
    figures, problems, _ = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234}
    assert reason in problems[0]
    assert reason in (stock / "failed" / "newer.csv.reasons.txt").read_text()


def test_a_symlinked_stock_file_is_not_read_and_its_content_never_shown(tmp_path, stock) -> None:
    target = fake_env_file(tmp_path)
    link = stock / "zz-newest.csv"
    link.symlink_to(target)
    os.utime(link, (time.time(), time.time()), follow_symlinks=False)
    figures, problems, _ = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234}
    assert problems == ["zz-newest.csv: a symbolic link: not read (drop regular files)"]
    assert SECRET not in " ".join(problems) + everything_written(tmp_path)
    assert target.read_text().startswith(SECRET)  # the target is untouched


def test_a_fifo_in_the_inbox_does_not_hang_the_reader(tmp_path, stock) -> None:
    os.mkfifo(stock / "pipe.csv")
    figures, problems, _ = levels(tmp_path)
    assert figures == {"A": 5, "B": 1234}
    assert problems == ["pipe.csv: not a regular file: not read"]


# --- shipments -------------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path}/npf.db")
    upgrade(engine)
    return engine


def numbers(engine, client: str = "ACME") -> list[str]:
    return sorted(SqlShipmentSource(engine).shipments(client)["tracking_number"])


def test_a_truncated_shipments_row_adds_nothing_from_the_file(engine, tmp_path) -> None:
    inbox = inbox_dir(tmp_path)
    put(inbox / "s.csv", SHIP_HEADER + "ACME,ACME-1,TRACK1,,,\nACME,ACME-2,TRAC")
    source = FileShipmentSource(engine, inbox, {"ACME"})
    assert source.shipments("ACME").empty
    assert "no newline" in (inbox / "failed" / "s.csv.reasons.txt").read_text()
    assert not (inbox / "s.csv").exists()


def test_a_growing_shipments_file_waits_then_is_read(engine, tmp_path) -> None:
    inbox = inbox_dir(tmp_path)
    put(inbox / "s.csv", SHIP_HEADER + "ACME,ACME-1,TRACK1,,,\n", age=0)
    source = FileShipmentSource(engine, inbox, {"ACME"})
    assert source.shipments("ACME").empty and (inbox / "s.csv").exists()
    assert source.reports == [] and "s.csv: modified" in source.waiting[0]
    later = FileShipmentSource(
        engine, inbox, {"ACME"}, clock=lambda: datetime.now(UTC) + timedelta(minutes=1)
    )
    assert list(later.shipments("ACME")["tracking_number"]) == ["TRACK1"]
    assert (inbox / "processed" / "s.csv").exists()


def test_symlinked_and_non_utf8_shipment_files_go_to_failed_unread(engine, tmp_path) -> None:
    inbox = inbox_dir(tmp_path)
    target = fake_env_file(tmp_path)
    (inbox / "ACME").mkdir(parents=True)
    (inbox / "env.csv").symlink_to(target)
    put(inbox / "bad.csv", SHIP_HEADER.encode() + b"ACME,ACME-1,\xff\xff,,,\n")
    put(inbox / "ACME" / "good.csv", "ecwid_order_id,tracking_number\nACME-3,OK1\n")
    source = FileShipmentSource(engine, inbox, {"ACME"})
    assert numbers(engine) == [] and list(source.shipments("ACME")["tracking_number"]) == ["OK1"]
    failed = inbox / "failed"
    assert (failed / "env.csv").is_symlink() and target.exists()
    assert "symbolic link" in (failed / "env.csv.reasons.txt").read_text()
    assert "not UTF-8 text (line 2" in (failed / "bad.csv.reasons.txt").read_text()
    shown = " ".join(p for r in source.reports for p in r.problems) + everything_written(tmp_path)
    assert SECRET not in shown and "\xff" not in shown


def test_reasons_name_rows_and_columns_never_values(engine, tmp_path) -> None:
    inbox = inbox_dir(tmp_path)
    put(
        inbox / "s.csv",
        SHIP_HEADER + f"{SECRET},ACME-1,T1,,,\nACME,ACME-2,T2,,{SECRET},\nACME,ACME-3,T3,,,\n",
    )
    put(inbox / "h.csv", f"{SECRET}\nx\n")
    FileShipmentSource(engine, inbox, {"ACME"}).shipments("ACME")
    assert numbers(engine) == ["T3"]
    assert SECRET not in everything_written(tmp_path)


@pytest.mark.postgres
def test_an_over_long_order_id_fails_its_file_and_other_clients_proceed(
    tmp_path, postgres_url
) -> None:
    """On PostgreSQL the id used to reach the insert (`value too long for type character
    varying(64)`), which raised, left the file in the shared inbox and stopped every client."""
    engine = get_engine(postgres_url)
    upgrade(engine)
    inbox = inbox_dir(tmp_path)
    put(inbox / "a.csv", SHIP_HEADER + f"OTHER,{'X' * 65},T0,,,\nOTHER,O-1,T1,,,\n")
    put(inbox / "b.csv", SHIP_HEADER + "ACME,ACME-1,A1,,,\n")
    clients = {"ACME", "OTHER"}
    assert list(
        FileShipmentSource(engine, inbox, clients).shipments("ACME")["tracking_number"]
    ) == ["A1"]
    assert (inbox / "failed" / "a.csv.reasons.txt").read_text() == (
        "row 2: ecwid_order_id longer than 64 characters\n"
    )
    assert numbers(engine, "OTHER") == ["T1"]  # the file's good row still counts
    assert list((inbox / "processed").iterdir()) == [inbox / "processed" / "b.csv"]
