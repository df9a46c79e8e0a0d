"""Engine + schema: SQLite default location, idempotent init, aware timestamps, concurrent
writers from several processes, PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlmodel import Session

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.tables import NpfStock

INTERFACE_TABLES = {"npf_order", "npf_order_line", "npf_shipment", "npf_stock"}


def test_default_is_sqlite_under_data_dir_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("NPF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = get_engine()
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert (tmp_path / "data" / "npf.db").exists()
    names = set(inspect(engine).get_table_names())
    assert INTERFACE_TABLES | {"orders_watermark", "orders_quarantine"} <= names
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def _roundtrip(url: str) -> None:
    engine = get_engine(url)
    upgrade(engine)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with Session(engine) as session:
        session.add(NpfStock(client="ACME", sku="A-1", on_hand=5, available=3, updated_at=at))
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(NpfStock)).scalars().one()  # type: ignore[call-overload]
        assert row.updated_at == at and row.updated_at.tzinfo is not None


def test_timestamps_come_back_aware_utc_sqlite(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path}/x.db")


def test_naive_timestamps_are_refused(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path}/x.db")
    upgrade(engine)
    with Session(engine) as session, pytest.raises(Exception, match="naive datetime"):
        session.add(NpfStock(client="A", sku="B", on_hand=1, updated_at=datetime(2026, 1, 1)))
        session.commit()


WRITER = """
import sys
from sqlalchemy import text
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
engine = get_engine(sys.argv[1]); upgrade(engine)
for i in range(40):
    with engine.begin() as conn:
        n = conn.execute(text("SELECT count(*) FROM npf_stock")).scalar()
        conn.execute(text("INSERT INTO npf_stock (client, sku, on_hand) VALUES (:c, :s, :n)"),
                     {"c": sys.argv[2], "s": f"S{i}", "n": n})
"""


def test_concurrent_processes_do_not_fail_on_sqlite_locks(tmp_path):
    url = f"sqlite:///{tmp_path}/shared.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"C{k}"], cwd=Path.cwd(), stderr=subprocess.PIPE
        )
        for k in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM npf_stock").scalar() == 160
        # read-then-write inside one transaction is serialised: every count seen is distinct
        seen = [r[0] for r in conn.exec_driver_sql("SELECT on_hand FROM npf_stock")]
        assert sorted(seen) == list(range(160))


@pytest.mark.postgres
def test_postgres_schema_and_timestamps(postgres_url):
    _roundtrip(postgres_url)
    upgrade(get_engine(postgres_url))
    assert set(inspect(get_engine(postgres_url)).get_table_names()) >= INTERFACE_TABLES
