"""`npf-ecwid serve` as an operator runs it: a live process against `prefect server start`.

The server's scheduler creates the runs (every minute here; the daily stock run at the client's
local time), and serve executes a scheduled run on its own and one triggered from the UI/API
(in-process, recording which process ran it). Then serve is SIGKILLed mid-run like a crashed
machine, and the next `serve` marks that orphaned run Crashed instead of leaving it Running
forever. SIGTERM stops it cleanly and pauses its deployments.

A real server, not the test harness: the harness runs no scheduler (regression: with
SQLAlchemy 2.1 Prefect 3.8's scheduler failed on every insert; no scheduled run ever existed;
3.9 inserts without the `state` key and works with 2.1).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from flows.orders import sync_orders
from npf_ecwid.sandbox import Sandbox, create_app, generate_store, serve_in_thread
from tests.deployments.operator_env import operator_env, orders_handed_off

REPO = Path(__file__).resolve().parents[2]
TOKEN = "secret_serve_token"
CLIENT = """
[clients.{code}]
store_id = 1003
token = "env:SERVE_TOKEN"
order_start_date = "2000-01-01"
order_interval_minutes = 1
stock = "on_hand"
stock_time = "06:45"
timezone = "Europe/Berlin"
"""


async def _wait_for(check: Callable[[], object], what: str, seconds: float = 120.0) -> object:
    """Poll an outside process's progress (serve starting, a run moving on) until `check`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def _serve(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--limit", "2"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


async def _deployment_active(name: str):
    async with get_client() as prefect:
        try:
            deployment = await prefect.read_deployment_by_name(name)
        except ObjectNotFound:
            return None
    return deployment if not deployment.paused else None


async def _run(flow_run_id) -> FlowRun:
    async with get_client() as prefect:
        return await prefect.read_flow_run(flow_run_id)


async def test_serve_runs_scheduled_and_manual_runs_and_sweeps_a_killed_run(
    prefect_api: str, tmp_path: Path, monkeypatch
):
    sandbox = Sandbox([generate_store(1003, orders=30, seed=5)])
    sandbox.add_token(TOKEN, 1003)
    clients_file = tmp_path / "clients.toml"
    clients_file.write_text(CLIENT.format(code="SERVE1") + CLIENT.format(code="TWIN"))
    log = tmp_path / "serve.log"
    with serve_in_thread(create_app(sandbox)) as api_url:
        engine, child_env = operator_env(
            monkeypatch,
            tmp_path,
            clients_file,
            PREFECT_API_URL=prefect_api,
            ECWID_API_URL=api_url,
            SERVE_TOKEN=TOKEN,
        )

        with _serve(child_env, log) as first:
            deployment = await _wait_for(
                lambda: _deployment_active("sync-orders/serve1"), "registration"
            )
            stock = await _wait_for(lambda: _scheduled("sync-stock/serve1"), "stock schedule")
            berlin = {r.expected_start_time.astimezone(ZoneInfo("Europe/Berlin")) for r in stock}
            assert {(t.hour, t.minute) for t in berlin} == {(6, 45)}
            # The first 1-minute interval run comes due and serve executes it unprompted.
            scheduled = await _wait_for(
                lambda: _finished_scheduled_run(deployment.id), "a scheduled run", seconds=150
            )
            assert scheduled.state.is_completed(), log.read_text()
            done = await run_deployment("sync-orders/serve1", timeout=120)
            assert done.state.is_completed(), log.read_text()
            assert done.infrastructure_pid == f"{socket.gethostname()}:{first.pid}"
            await asyncio.to_thread(sync_orders, "TWIN")
            assert orders_handed_off(engine, "SERVE1") == orders_handed_off(engine, "TWIN") > 0

            sandbox.faults.latency_ms = 5_000  # the next run is mid-pull when the machine dies
            stuck = await run_deployment("sync-orders/serve1", timeout=0)
            running = await _wait_for(
                lambda: _run_if(stuck.id, lambda r: r.state.is_running()), "the run to start"
            )
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        assert running.infrastructure_pid == f"{socket.gethostname()}:{first.pid}"
        sandbox.faults.latency_ms = 0

        with _serve(child_env, log) as second:
            crashed = await _wait_for(
                lambda: _run_if(stuck.id, lambda r: r.state.is_crashed()), "the sweep"
            )
            assert str(first.pid) in crashed.state.message
            await _wait_for(lambda: _deployment_active("sync-orders/serve1"), "registration")
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0, log.read_text()
        async with get_client() as prefect:
            deployment = await prefect.read_deployment_by_name("sync-orders/serve1")
        assert deployment.paused  # stopped serve: the scheduler queues nothing meanwhile
    assert TOKEN not in log.read_text()


async def _scheduled(name: str) -> list[FlowRun]:
    async with get_client() as prefect:
        try:
            deployment = await prefect.read_deployment_by_name(name)
        except ObjectNotFound:  # serve registers deployments a few at a time
            return []
        return await prefect.get_scheduled_flow_runs_for_deployments(
            deployment_ids=[deployment.id],
            scheduled_before=datetime.now(UTC) + timedelta(days=3),
        )


async def _finished_scheduled_run(deployment_id) -> FlowRun | None:
    async with get_client() as prefect:
        runs = await prefect.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            limit=50,
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )
    done = [r for r in runs if r.auto_scheduled and r.state and r.state.is_final()]
    return done[0] if done else None


async def _run_if(flow_run_id, condition: Callable[[FlowRun], bool]) -> FlowRun | None:
    run = await _run(flow_run_id)
    return run if run.state is not None and condition(run) else None
