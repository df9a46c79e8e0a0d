"""What the commands that run one flow for one client share (`orders pull`, `tracking push`,
`stock sync`): their `--client`/`--dry-run` options, the client check before a flow run
starts, how a run that did no work is said, and how a failure ends: one line on stderr,
`COMMAND CLIENT failed: reason`, exit code 1, never a traceback (the flow run in Prefect has
the details)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer

from cli.db import open_database
from npf_ecwid.config import get_client
from npf_ecwid.runs import RunStatus
from npf_ecwid.settings import get_settings
from runtime.prefect_compat import unreachable_api

R = TypeVar("R")

CLIENT_OPTION: Any = typer.Option(..., "--client", help="Client code from the clients file.")


def dry_run_option(help: str) -> Any:
    return typer.Option(False, "--dry-run", help=help)


def run_for_client(command: str, client: str, start: Callable[[], R]) -> R:
    """Check CLIENT is in the clients file (a wrong code or a broken file is said before any
    flow run starts) and bring the database to head, then `start()` the flow; any failure
    exits 1 with one line. Prefect's unreachable-API error passes on to `cli.main`, which
    words it for operators."""
    try:
        get_client(get_settings().clients_file, client)
        open_database()
        return start()
    except Exception as error:
        if unreachable_api(error):
            raise
        raise _failed(command, client, error) from None


def did_no_work(command: str, client: str, status: RunStatus, reason: str | None) -> bool:
    """Say so, and True, for a run that ended without doing the work: skipped (the token
    breaker, stock = off) or locked (another run holds the writer lock and does it). Neither
    is a failure: exit code 0."""
    if status is RunStatus.SKIPPED:
        typer.echo(f"{command} {client}: skipped: {reason}")
        return True
    if status is RunStatus.LOCKED:
        typer.echo(f"{command} {client}: skipped, {reason}")
        return True
    return False


def _failed(command: str, client: str, error: Exception) -> typer.Exit:
    typer.echo(f"{command} {client} failed: {error}", err=True)
    return typer.Exit(1)
