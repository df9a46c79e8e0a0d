"""`npf-ecwid sandbox ...`: the Ecwid emulator."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The Ecwid API sandbox (an emulator for tests, the demo and benchmarks).",
    no_args_is_help=True,
)


@app.command()
def serve() -> None:
    """Serve the sandbox store over HTTP."""
    typer.echo("not built yet")
