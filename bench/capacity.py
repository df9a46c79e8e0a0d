"""Capacity: what one machine spends per client per 5 minutes, bare vs Prefect in-process vs serve.

    /work/venv/bin/python bench/capacity.py --clients 10 --serve-limit 4

Setup (all on loopback): a sandbox process with N stores (80 orders each), a fresh
`prefect server start` (SQLite, own PREFECT_HOME), an SQLite warehouse DB. Every client's orders
are pulled once first (not measured), so the measured cycle is the steady state at a 5-minute
cadence: each `sync-orders` run finds ~nothing new, each `push-tracking` run has nothing to push.
Per mode, one cycle = one order run + one tracking run per client:

- bare:      the same Ecwid calls and DB reads in a plain loop (no Prefect);
- inprocess: the real flows called in this process (Prefect orchestration, no subprocess);
- serve:     the real deployments executed by a Prefect Runner (= `npf-ecwid serve`): one
             subprocess per run, at most `--serve-limit` at once, all runs due at the same time.

Reported per mode: CPU seconds per run (this process + its children + the Prefect server process),
wall seconds per run, and for serve the lag between a run's scheduled and actual start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """utime + stime of a process (not its children), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def wait_http(url: str, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def start_services(
    work: Path, clients: int, orders: int
) -> tuple[subprocess.Popen, subprocess.Popen]:
    sandbox_port, prefect_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sandbox = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench/capacity_sandbox.py"),
            str(clients),
            str(sandbox_port),
            str(orders),
        ],
        env=env,
    )
    server_env = {
        **env,
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(prefect_port),
        ],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{prefect_port}/api"
    os.environ.update(
        {
            "PREFECT_API_URL": api,
            "ECWID_API_URL": f"http://127.0.0.1:{sandbox_port}/api/v3",
            "DATABASE_URL": f"sqlite:///{work / 'npf.db'}",
            "NPF_DATA_DIR": str(work / "data"),
            "NPF_CLIENTS": str(work / "clients.toml"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    tables = []
    for i in range(1, clients + 1):
        os.environ[f"CAP_TOKEN_{i}"] = f"cap-token-{i}"
        tables.append(
            f'[clients.C{i:03d}]\nstore_id = {1000 + i}\ntoken = "env:CAP_TOKEN_{i}"\n'
            'order_start_date = "2000-01-01"\n'
        )
    (work / "clients.toml").write_text("\n".join(tables))
    wait_http(f"http://127.0.0.1:{sandbox_port}/api/v3/1001/profile")
    wait_http(f"{api}/health")
    return sandbox, server


def codes(n: int) -> list[str]:
    return [f"C{i:03d}" for i in range(1, n + 1)]


async def bare_cycle(n: int) -> None:
    """The steady-state calls without Prefect: recent orders per client, shipments to push."""
    from sqlalchemy import select
    from sqlmodel import Session

    from npf_ecwid.config import load_clients
    from npf_ecwid.db import get_engine
    from npf_ecwid.ecwid.client import OrderQuery
    from npf_ecwid.ecwid.factory import open_ecwid
    from npf_ecwid.settings import get_settings
    from npf_ecwid.warehouse.tables import NpfShipment, OrdersWatermark

    settings = get_settings()
    clients = load_clients(settings.clients_file)
    engine = get_engine()
    for code in codes(n):
        with Session(engine) as session:
            session.get(OrdersWatermark, code)
        since = datetime.now(UTC) - timedelta(minutes=10)
        async with open_ecwid(clients[code], settings) as ecwid:
            await ecwid.search_orders(OrderQuery(updated_from=since))
        with Session(engine) as session:
            list(session.execute(select(NpfShipment).where(NpfShipment.client == code)).scalars())


def inprocess_cycle(n: int) -> None:
    from flows.orders import sync_orders
    from flows.tracking import push_tracking

    for code in codes(n):
        sync_orders(code)
        push_tracking(code)


async def serve_cycle(n: int, limit: int) -> list[float]:
    """All 2n runs due now; a Runner (what `serve` runs) executes them. Returns start lags."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from deployments.build import runner_deployment
    from deployments.plan import PUSH_TRACKING, SYNC_ORDERS, plan_deployments
    from npf_ecwid.config import load_clients
    from npf_ecwid.settings import get_settings

    plans = plan_deployments(
        load_clients(get_settings().clients_file).values(), [SYNC_ORDERS, PUSH_TRACKING]
    )
    runner = Runner(limit=limit, pause_on_shutdown=False, query_seconds=1)
    for plan in plans:
        deployment = runner_deployment(plan)
        deployment.schedules = []  # runs are created below, all due at once
        await runner.aadd_deployment(deployment)
    ids = [(await run_deployment(p.full_name, timeout=0)).id for p in plans]
    task = asyncio.create_task(runner.start())
    async with get_client() as prefect:
        while True:
            runs = [await prefect.read_flow_run(i) for i in ids]
            if all(r.state and r.state.is_final() for r in runs):
                break
            await asyncio.sleep(1)
    await runner.astop()
    task.cancel()
    bad = [r.state.name for r in runs if not r.state.is_completed()]
    if bad:
        print(f"serve: {len(bad)} runs not completed: {bad[:5]}", file=sys.stderr)
    return [(r.start_time - r.expected_start_time).total_seconds() for r in runs]


def measure(label: str, runs: int, server_pid: int, action) -> dict:
    cpu0, srv0, t0 = own_cpu(), proc_cpu(server_pid), time.perf_counter()
    extra = action()
    wall = time.perf_counter() - t0
    cpu, srv = own_cpu() - cpu0, proc_cpu(server_pid) - srv0
    row = {
        "mode": label,
        "runs": runs,
        "wall_s": round(wall, 1),
        "cpu_client_s_per_run": round(cpu / runs, 3),
        "cpu_server_s_per_run": round(srv / runs, 3),
        "cpu_total_s_per_run": round((cpu + srv) / runs, 3),
    }
    if extra:
        lags = sorted(extra)
        row |= {"lag_p50_s": round(lags[len(lags) // 2], 1), "lag_max_s": round(lags[-1], 1)}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--orders", type=int, default=80)
    parser.add_argument("--serve-limit", type=int, default=4)
    args = parser.parse_args()
    n = args.clients
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="npf-capacity-") as tmp:
        sandbox, server = start_services(Path(tmp), n, args.orders)
        try:
            from npf_ecwid.db import get_engine, init_db

            init_db(get_engine())
            inprocess_cycle(n)  # warm-up: first pull of every client (not measured)
            measure("bare", 2 * n, server.pid, lambda: asyncio.run(bare_cycle(n)))
            measure("inprocess", 2 * n, server.pid, lambda: inprocess_cycle(n))
            measure(
                f"serve(limit={args.serve_limit})",
                2 * n,
                server.pid,
                lambda: asyncio.run(serve_cycle(n, args.serve_limit)),
            )
        finally:
            for proc in (server, sandbox):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
