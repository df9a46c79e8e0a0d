"""Capacity: can one machine keep N clients on a 5-minute order + tracking cadence?

    PYTHONPATH=. python bench/capacity.py --clients 200 --warmup-minutes 6 --minutes 10

Setup, all on loopback: a sandbox process with N stores (`--orders` each, plus
`--new-orders-per-minute` customer orders arriving at random stores), a fresh
`prefect server start` (SQLite, own PREFECT_HOME), an SQLite warehouse, and the real
`npf-ecwid serve` as a child process: it registers 2N deployments (orders + tracking every
5 minutes, starts staggered per client) and executes them on their schedules.

Once serve has registered everything, and `--warmup-minutes` later (every client's first, full
pull), CPU is sampled for
`--minutes`: the serve process, the Prefect server and the sandbox (each with its children).
Then the runs that started in the window are read back from the server:
- completed / failed / still unfinished, and runs that were due in the window but never started;
- lag = actual start - scheduled start (p50, p95, max);
- CPU per run (serve + Prefect server), beside a bare script doing the same Ecwid calls and
  warehouse reads for every client once without Prefect (`bare`), measured in this process.

The last line is the summary, e.g.
`capacity: clients=200 runs=400 completed=400 failed=0 missed=0 lag_p95_s=1.8 cores_used=1.21/2 ...`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from npf_ecwid.testing.postgres import server_pid, throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu(root: int) -> float:
    """CPU seconds of `root`, its live descendants, and the children they have reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == pid]
        tree.update(kids)
        frontier.extend(kids)
    total = 0.0
    for pid in tree:
        try:
            fields = _stat(pid)
        except FileNotFoundError:
            continue
        total += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return total


def own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def wait_http(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def wait_for_line(log: Path, text: str, proc: subprocess.Popen) -> None:
    """Block until `text` appears in the log of a child (e.g. serve finished registering)."""
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: the process exited: {log.read_text()[-2000:]}")
        time.sleep(1)
    print(next(line for line in log.read_text().splitlines() if text in line), flush=True)


def codes(n: int) -> list[str]:
    return [f"C{i:03d}" for i in range(1, n + 1)]


def create_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rpartition("/")[0] + f"/{name}"


def configure(
    work: Path, clients: int, sandbox_port: int, prefect_port: int, warehouse_url: str
) -> dict[str, str]:
    """The environment every process of the run shares (the serve child gets it too)."""
    env = {
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "ECWID_API_URL": f"http://127.0.0.1:{sandbox_port}/api/v3",
        "DATABASE_URL": warehouse_url,
        "NPF_DATA_DIR": str(work / "data"),
        "NPF_CLIENTS": str(work / "clients.toml"),
    }
    tables = []
    for i in range(1, clients + 1):
        env[f"CAP_TOKEN_{i}"] = f"cap-token-{i}"
        tables.append(
            f'[clients.C{i:03d}]\nstore_id = {1000 + i}\ntoken = "env:CAP_TOKEN_{i}"\n'
            'order_start_date = "2000-01-01"\n'
        )
    (work / "clients.toml").write_text("\n".join(tables))
    os.environ.update(env)
    return {**os.environ, **env}


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


async def bare_cycle(n: int) -> None:
    """The steady-state calls without Prefect: recent orders per client, shipments to push."""
    from sqlalchemy import select
    from sqlmodel import Session

    from npf_ecwid.config import load_clients
    from npf_ecwid.connect import open_ecwid
    from npf_ecwid.db import get_engine
    from npf_ecwid.ecwid.client import OrderQuery
    from npf_ecwid.settings import get_settings
    from npf_ecwid.tables import NpfShipment, OrdersWatermark

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


def measure_bare(n: int) -> float:
    """CPU seconds per client-cycle (orders + tracking calls) of the bare script."""
    from npf_ecwid.db import get_engine
    from npf_ecwid.migrations import upgrade

    upgrade(get_engine())
    asyncio.run(bare_cycle(n))  # warm: imports, connections
    before = own_cpu()
    asyncio.run(bare_cycle(n))
    return (own_cpu() - before) / n


async def runs_in_window(start_after: datetime, end_before: datetime) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterExpectedStartTime
    from prefect.client.schemas.sorting import FlowRunSort

    from deployments.listing import every_item

    due = FlowRunFilter(
        expected_start_time=FlowRunFilterExpectedStartTime(after_=start_after, before_=end_before)
    )
    async with get_client() as prefect:
        return await every_item(
            lambda limit, offset: prefect.read_flow_runs(
                flow_run_filter=due,
                limit=limit,
                offset=offset,
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            )
        )


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(runs: list, cpu: dict[str, float], minutes: float, bare: float, n: int) -> dict:
    started = [r for r in runs if r.start_time is not None]
    lags = [(r.start_time - r.expected_start_time).total_seconds() for r in started]
    states: dict[str, int] = {}
    for run in runs:
        name = run.state.type.value if run.state else "NONE"
        states[name] = states.get(name, 0) + 1
    seconds = minutes * 60
    busy = cpu["serve"] + cpu["prefect_server"] + cpu.get("postgres", 0.0)
    return {
        "clients": n,
        "window_min": minutes,
        "runs_due": len(runs),
        "expected_runs": round(2 * n * minutes / 5),
        "completed": states.get("COMPLETED", 0),
        "failed": states.get("FAILED", 0) + states.get("CRASHED", 0),
        "missed": len(runs) - len(started),
        "states": states,
        "lag_p50_s": round(percentile(lags, 0.5), 2),
        "lag_p95_s": round(percentile(lags, 0.95), 2),
        "lag_max_s": round(max(lags, default=float("nan")), 2),
        "cores_serve": round(cpu["serve"] / seconds, 3),
        "cores_prefect_server": round(cpu["prefect_server"] / seconds, 3),
        "cores_postgres": round(cpu.get("postgres", 0.0) / seconds, 3),
        "cores_sandbox": round(cpu["sandbox"] / seconds, 3),
        "cores_used": round(busy / seconds, 3),
        "cpu_share_of_machine": round(busy / seconds / CORES, 3),
        "cpu_s_per_run": round(busy / max(1, len(started)), 3),
        "bare_cpu_s_per_run": round(bare / 2, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--orders", type=int, default=20, help="orders per store at the start")
    parser.add_argument("--new-orders-per-minute", type=float, default=40.0)
    parser.add_argument("--limit", type=int, default=16, help="serve --limit")
    parser.add_argument("--warmup-minutes", type=float, default=6.0)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, DBs)")
    parser.add_argument(
        "--db",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="Prefect server's and warehouse database (SQLite locks under 200 clients)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="npf-capacity-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up children and PostgreSQL
    with ExitStack() as stack:
        try:
            run(args, work, stack)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, stack: ExitStack) -> None:
    n = args.clients
    print(f"work dir: {work}", flush=True)
    sandbox_port, prefect_port = free_port(), free_port()
    prefect_db = {
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_API_URL": "",
    }
    warehouse_url = f"sqlite:///{work / 'npf.db'}"
    postgres_pid = None
    if args.db == "postgres":
        admin = stack.enter_context(throwaway_postgres(max_connections=200))
        postgres_pid = server_pid(admin)
        warehouse_url = create_database(admin, "npf")
        prefect_url = create_database(admin, "prefect").replace("+psycopg", "+asyncpg")
        prefect_db["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_url
    env = configure(work, n, sandbox_port, prefect_port, warehouse_url)
    server_env = {**env, **prefect_db}
    python = sys.executable
    procs = {
        "sandbox": start(
            [
                python,
                "bench/capacity_sandbox.py",
                str(n),
                str(sandbox_port),
                str(args.orders),
                str(args.new_orders_per_minute),
            ],
            env,
            work / "sandbox.log",
        ),
        "prefect_server": start(
            [python, "-m", "prefect", "server", "start", "--port", str(prefect_port)],
            server_env,
            work / "prefect-server.log",
        ),
    }
    try:
        wait_http(f"http://127.0.0.1:{sandbox_port}/api/v3/1001/profile")
        wait_http(f"{env['PREFECT_API_URL']}/health")
        bare = measure_bare(n)
        print(json.dumps({"bare_cpu_s_per_client_cycle": round(bare, 4)}), flush=True)
        procs["serve"] = start(
            [python, "-m", "cli", "serve", "--limit", str(args.limit)],
            env,
            work / "serve.log",
        )
        wait_for_line(work / "serve.log", "registered ", procs["serve"])
        time.sleep(args.warmup_minutes * 60)  # every client's first, full pull
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited early: see {work}/{name}.log")
        t0 = datetime.now(UTC)
        pids = {name: proc.pid for name, proc in procs.items()}
        if postgres_pid is not None:
            pids["postgres"] = postgres_pid
        cpu0 = {name: tree_cpu(pid) for name, pid in pids.items()}
        time.sleep(args.minutes * 60)
        cpu = {name: tree_cpu(pid) - cpu0[name] for name, pid in pids.items()}
        t1 = datetime.now(UTC)
        # Runs due in the window get 60 s to start (and the last ones to finish).
        time.sleep(60)
        runs = asyncio.run(runs_in_window(t0, t1))
        row = report(runs, cpu, args.minutes, bare, n)
        print(json.dumps(row), flush=True)
        print(
            f"capacity: clients={n} runs_due={row['runs_due']} "
            f"completed={row['completed']} failed={row['failed']} missed={row['missed']} "
            f"lag_p50_s={row['lag_p50_s']} lag_p95_s={row['lag_p95_s']} "
            f"lag_max_s={row['lag_max_s']} cores_used={row['cores_used']}/{CORES} "
            f"cpu_s_per_run={row['cpu_s_per_run']} bare_cpu_s_per_run="
            f"{row['bare_cpu_s_per_run']}"
        )
    finally:  # serve first: it pauses its deployments on the way out
        for proc in reversed(procs.values()):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
