"""The push ledger on real SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.tracking.ledger import MAX_ATTEMPTS, load_ledger, record_attempt
from npf_ecwid.tracking.plan import PlannedPush, PushStatus

PUSH = PlannedPush("ACME", "ACME-1", ("A1", "B2"), "https://t/A1", "AusPost")


def _exercise(url: str) -> None:
    engine = get_engine(url)
    upgrade(engine)
    assert "npf_tracking_push" in inspect(engine).get_table_names()
    assert load_ledger(engine, "ACME") == []

    assert record_attempt(engine, PUSH, PushStatus.ERROR, "HTTP 503") is PushStatus.ERROR
    [entry] = load_ledger(engine, "ACME")
    assert (entry.status, entry.attempts, entry.numbers_key) == (PushStatus.ERROR, 1, "A1,B2")

    assert record_attempt(engine, PUSH, PushStatus.PUSHED) is PushStatus.PUSHED
    [entry] = load_ledger(engine, "ACME")
    assert (entry.status, entry.attempts, entry.reason) == (PushStatus.PUSHED, 2, None)
    assert load_ledger(engine, "OTHER") == []

    grown = PlannedPush("ACME", "ACME-1", ("A1", "B2", "C3"), None, None)
    record_attempt(engine, grown, PushStatus.FAILED, "order not found in Ecwid")
    assert {(e.numbers_key, e.status) for e in load_ledger(engine, "ACME")} == {
        ("A1,B2", PushStatus.PUSHED),
        ("A1,B2,C3", PushStatus.FAILED),
    }


def test_ledger_round_trip_sqlite(tmp_path) -> None:
    _exercise(f"sqlite:///{tmp_path}/npf.db")


@pytest.mark.postgres
def test_ledger_round_trip_postgres(postgres_url: str) -> None:
    _exercise(postgres_url)


def test_repeated_transient_errors_turn_into_a_failure(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path}/npf.db")
    upgrade(engine)
    statuses = [
        record_attempt(engine, PUSH, PushStatus.ERROR, "HTTP 503") for _ in range(MAX_ATTEMPTS)
    ]
    assert statuses[-2] is PushStatus.ERROR and statuses[-1] is PushStatus.FAILED
    [entry] = load_ledger(engine, "ACME")
    assert entry.status is PushStatus.FAILED
    assert entry.reason == f"gave up after {MAX_ATTEMPTS} attempts: HTTP 503"
