"""One writer per client (issue #18 item 1): two stock runs at once for one client -> one pushes,
the other stops before writing; a run whose lock was taken over after expiry sends nothing.

Real sandbox over HTTP, real SQLite and PostgreSQL; the runs are real threads."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from npf_ecwid.locks import LockHeld, LockLost, client_lock
from npf_ecwid.stock.reconcile import StockRunResult
from tests.stock.conftest import CODE, StockEnv, make_env
from tests.stock.test_reconcile import figures, run, write_feed


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_env(request, tmp_path, monkeypatch, served) -> StockEnv:
    url, store, sandbox = served
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return make_env(tmp_path, monkeypatch, "available", url, store, sandbox, db_url)


def inventory_writes(env: StockEnv) -> int:
    return sum(1 for w in env.writes() if w.path.endswith("/inventory"))


def test_two_concurrent_runs_one_pushes_the_other_exits(any_env: StockEnv) -> None:
    env = any_env
    initial = env.tracked()
    wanted = figures(env)
    write_feed(env, wanted)
    env.sandbox.faults.latency_ms = 30  # both runs are surely inside reconcile at once
    start = threading.Barrier(2)
    results: list[StockRunResult] = []
    refusals: list[LockHeld] = []

    def one_run(owner: str) -> None:
        start.wait()
        try:
            with client_lock(env.engine, CODE, owner) as fence:
                results.append(asyncio.run(run(env, check=fence.check)))
        except LockHeld as held:
            refusals.append(held)

    threads = [threading.Thread(target=one_run, args=(f"run-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 1 and len(refusals) == 1
    assert results[0].status == "done"
    assert f"client {CODE}: another run holds the lock (owner run-" in str(refusals[0])
    expected = {**wanted, "NPF005": initial["NPF005"]}
    assert env.tracked() == expected
    changed = sum(1 for sku in expected if expected[sku] != initial[sku])
    assert inventory_writes(env) == changed == results[0].totals["pushed_items"]


def test_lock_is_free_again_after_a_run(any_env: StockEnv) -> None:
    with client_lock(any_env.engine, CODE, "first") as fence:
        assert fence.fence == 1
    with client_lock(any_env.engine, CODE, "second") as fence:
        assert fence.fence == 2  # the counter survives releases: fences never repeat
        fence.check()


def test_an_expired_lock_is_taken_over_and_the_old_owner_is_fenced_off(env: StockEnv) -> None:
    initial = env.tracked()
    wanted = figures(env)
    write_feed(env, wanted)
    clock = [datetime.now(UTC)]
    ttl = timedelta(minutes=10)
    with client_lock(env.engine, CODE, "stalled", ttl, clock=lambda: clock[0]) as old:
        with (
            pytest.raises(LockHeld),  # not expired yet: no takeover
            client_lock(env.engine, CODE, "next", ttl, clock=lambda: clock[0]),
        ):
            pass
        clock[0] += ttl + timedelta(seconds=1)  # the old run stalled past its expiry
        with client_lock(env.engine, CODE, "next", ttl, clock=lambda: clock[0]) as new:
            assert new.fence == old.fence + 1
            # The stalled run wakes up and goes on: it must not send a single delta.
            with pytest.raises(LockLost, match="lost the writer lock"):
                asyncio.run(run(env, check=old.check))
            assert inventory_writes(env) == 0
            done = asyncio.run(run(env, check=new.check))
    assert done.status == "done"
    assert env.tracked() == {**wanted, "NPF005": initial["NPF005"]}


def test_losing_the_lock_mid_push_stops_the_remaining_deltas(env: StockEnv) -> None:
    """Fenced before every delta, not only at the start: deltas after the takeover are held
    back, recorded as not sent, and the run says so (`lock_lost`)."""
    write_feed(env, figures(env))
    checks = [0]
    allowed = 3
    counting = threading.Lock()  # checks run in worker threads

    with client_lock(env.engine, CODE, "old") as fence:

        def check() -> None:
            with counting:
                checks[0] += 1
                seen = checks[0]
            if seen > allowed + 1:  # the first check is the run's start
                raise LockLost("client STOCKSHOP: lost the writer lock (test)")
            fence.check()

        env.sandbox.faults.latency_ms = 5
        result = asyncio.run(run(env, check=check))
    assert result.status == "lock_lost" and "lost the writer lock" in result.message()
    assert inventory_writes(env) == allowed
    assert result.lock_lost == result.totals.get("action_failed", 0) > 0


@pytest.mark.postgres
def test_postgres_lock_dies_with_its_session(tmp_path, monkeypatch, served, postgres_url) -> None:
    """A holder whose PostgreSQL session ends (killed process, dropped connection) frees the
    lock at once, before its expiry; its next write is fenced off."""
    from sqlalchemy import text

    url, store, sandbox = served
    env = make_env(tmp_path, monkeypatch, "available", url, store, sandbox, postgres_url)
    with client_lock(env.engine, CODE, "dying") as old:
        with env.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                )
            )
        with client_lock(env.engine, CODE, "next") as new:
            assert new.fence == old.fence + 1
            with pytest.raises(LockLost):
                old.check()
            new.check()


@pytest.mark.prefect
def test_sync_stock_flow_exits_when_another_run_holds_the_lock(env: StockEnv, prefect_server):
    from flows.stock import sync_stock

    write_feed(env, figures(env))
    with client_lock(env.engine, CODE, "other-host:4242:abc"):
        outcome = sync_stock(CODE)
    assert outcome.status == "locked"
    assert "another run holds the lock (owner other-host:4242:abc since" in outcome.message
    assert env.writes() == []
    assert sync_stock(CODE).status == "done" and inventory_writes(env) > 0


def test_a_killed_runs_lock_on_this_host_is_taken_over_at_once(env: StockEnv) -> None:
    """SQLite keeps the row of a SIGKILLed run; its pid being gone frees it before expiry
    (otherwise a kill would block the client's stock and tracking for the whole TTL)."""
    host = socket.gethostname()
    with (
        client_lock(env.engine, CODE, f"{host}:{os.getpid()}:live"),  # a live pid: respected
        pytest.raises(LockHeld),
        client_lock(env.engine, CODE, "other"),
    ):
        pass
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    held = client_lock(env.engine, CODE, f"{host}:{dead.pid}:abcdef")
    old = held.__enter__()  # never released: the process "died" holding it
    with client_lock(env.engine, CODE) as new:
        assert new.fence == old.fence + 1
        with pytest.raises(LockLost):
            old.check()
