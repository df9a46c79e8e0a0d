"""`npf-ecwid demo`: a full cycle against the sandbox store."""

from __future__ import annotations

import typer


def demo() -> None:
    """Run a full cycle (pull, ship, push tracking, reconcile stock) against a sandbox store."""
    typer.echo("npf-ecwid demo: not built yet (see the 'Run it as a service' issue).")
