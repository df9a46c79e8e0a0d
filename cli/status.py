"""`npf-ecwid status [CODE]`: one health line per client (see `npf_ecwid.status`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime

import typer

from cli.db import open_database
from npf_ecwid.config import ConfigError, get_client, load_clients
from npf_ecwid.settings import get_settings
from npf_ecwid.status import fleet_status, render_text


def prefect_api_configured() -> bool:
    """Whether a Prefect server is configured (env or the active Prefect profile), without
    importing Prefect when the environment already says so; never starts a server."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def next_scheduled_runs(clients: Iterable[str]) -> dict[str, datetime]:
    """The earliest scheduled run per client on the configured Prefect server ({} when none
    is configured or it does not answer: status must work while Prefect is down)."""
    if not prefect_api_configured():
        return {}
    from deployments.schedule import next_runs

    try:
        return next_runs(set(clients))
    except Exception as error:  # status shows "-" and says why, on stderr
        typer.echo(f"warning: next runs unknown: Prefect API: {type(error).__name__}", err=True)
        return {}


def status(code: str | None = typer.Argument(None, help="One client; all when omitted.")) -> None:
    """One health line per client: pull, backlog, stock, token, next run.

    Columns: last successful pull and watermark lag, orders handed off today (client's local
    day), quarantined, tracking to push / failed, last stock sync, token state (last
    `clients check`), next scheduled run (from PREFECT_API_URL's server, else "-")."""
    settings = get_settings()
    try:
        path = settings.clients_file
        clients = [get_client(path, code)] if code else list(load_clients(path).values())
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    now = datetime.now(UTC)
    runs = next_scheduled_runs(c.code for c in clients)
    rows = fleet_status(open_database(), clients, now, runs)
    for line in render_text(rows):
        typer.echo(line)
