"""`npf-ecwid demo`: a full cycle against a local sandbox store, no Ecwid account needed.

Sandbox store over real HTTP (in this process) -> embedded SQLite under ./data/demo ->
real Prefect flow runs: pull orders, a simulated warehouse shift (ships some orders with
tracking numbers, counts stock), push tracking, reconcile stock -> a summary read back from
the sandbox. Runs go to the Prefect server at PREFECT_API_URL if set, else to Prefect's local
database (~/.prefect/prefect.db) through a temporary server, which `prefect server start`
shows afterwards.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

DEMO_CLIENT = "DEMO"
DEMO_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's well-known token
DEMO_STORE_ID = 1003
T = TypeVar("T")

CLIENTS_TOML = f"""# Written by `npf-ecwid demo`: one client served by the local sandbox store.
[clients.{DEMO_CLIENT}]
store_id = {DEMO_STORE_ID}
token = "env:DEMO_ECWID_TOKEN"
order_start_date = "2020-01-01"
payment_statuses = ["PAID"]
fulfillment_statuses = ["AWAITING_PROCESSING", "PROCESSING"]
push_tracking_url = true
stock = "available"
stock_time = "18:00"
timezone = "Australia/Melbourne"
"""


def _configure(data_dir: Path) -> None:
    """Environment for every component in this process (settings are read from it)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)  # the demo owns this folder; each demo starts clean
    data_dir.mkdir(parents=True)
    (data_dir / "clients.toml").write_text(CLIENTS_TOML, encoding="utf-8")
    os.environ.update(
        {
            "NPF_DATA_DIR": str(data_dir),
            "NPF_CLIENTS": str(data_dir / "clients.toml"),
            "DATABASE_URL": f"sqlite:///{(data_dir / 'npf.db').resolve()}",
            "DEMO_ECWID_TOKEN": DEMO_TOKEN,
            # Quieter Prefect: no telemetry (its SQLite heartbeat logs "database is locked"),
            # and time for a first-ever ephemeral start (DB creation + migrations, ~25 s here).
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        }
    )


def _step(number: int, title: str, action: Callable[[], T], done: Callable[[T], str]) -> T:
    typer.echo(f"[{number}/5] {title} ...", nl=False)
    started = time.perf_counter()
    result = action()
    typer.echo(f" {done(result)} ({time.perf_counter() - started:.1f} s)")
    return result


def _quiet_prefect_console() -> None:
    # Run logs still go to the Prefect API (the UI shows them); only console output is quieted.
    from prefect.logging.handlers import PrefectConsoleHandler

    names = [n for n in logging.root.manager.loggerDict if n.startswith("prefect")]
    for logger in [logging.getLogger(n) for n in names] + [logging.root]:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(logging.ERROR)


def demo(
    orders: int = typer.Option(300, min=1, help="Orders in the sandbox store."),
    data_dir: str = typer.Option("data/demo", help="Demo database and files (wiped)."),
    share: float = typer.Option(0.4, min=0, max=1, help="Share of orders the warehouse ships."),
    verbose: bool = typer.Option(False, help="Show Prefect's run logs on the console."),
) -> None:
    """Run a full cycle (pull, ship, push tracking, reconcile stock) against a sandbox store."""
    _configure(Path(data_dir))
    # Heavy imports after the environment is set (Prefect reads its settings at import).
    from cli.demo_cycle import DemoCycle

    cycle = DemoCycle(orders=orders, share=share)
    with cycle.sandbox_store() as api_url:
        os.environ["ECWID_API_URL"] = api_url
        _step(1, "starting Prefect", cycle.start_prefect, lambda where: where)
        if not verbose:
            _quiet_prefect_console()
        pulled = _step(2, "sync-orders: pulling orders", cycle.pull, _describe)
        _step(3, "warehouse: picking, shipping, counting", cycle.warehouse_shift, _describe)
        pushed = _step(4, "push-tracking: tracking to Ecwid", cycle.push, _describe)
        stock = _step(5, "sync-stock: reconciling stock", cycle.stock, _describe)
        summary = cycle.summary()
    typer.echo("")
    typer.echo(
        f"orders handed off to the warehouse: {summary['handed_off']} "
        f"(of {orders}: paid and awaiting processing)"
    )
    typer.echo(f"orders shipped, tracking in Ecwid:  {summary['shipped_in_ecwid']}")
    typer.echo(
        f"stock lines updated in Ecwid:       {summary['stock_updated']} "
        f"(of {summary['stock_lines']} SKUs the warehouse counted)"
    )
    failed = [s for s in (pulled, pushed, stock) if isinstance(s, dict) and s.get("failed")]
    typer.echo("")
    typer.echo(cycle.ui_hint())
    if failed:
        raise typer.Exit(1)


def _describe(result: Any) -> str:
    return result["line"] if isinstance(result, dict) and "line" in result else str(result)
