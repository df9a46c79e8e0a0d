"""`npf-ecwid stock sync --client CODE [--dry-run] [--force]`."""

from __future__ import annotations

import typer

from npf_ecwid.runs import RunStatus

app = typer.Typer(help="Reconcile Ecwid stock with the warehouse.", no_args_is_help=True)


@app.command()
def sync(
    client: str = typer.Option(..., "--client", help="Client code from the clients file."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compare and report only; write nothing to Ecwid."
    ),
    force: bool = typer.Option(
        False, "--force", help="Push even if the safety guard refuses (stale/empty/mass-zero)."
    ),
) -> None:
    """Run the `sync-stock` flow once for CLIENT; prints the outcome and the report CSV."""
    from flows.stock import sync_stock

    try:
        outcome = sync_stock(client, dry_run=dry_run, force=force)
    except Exception as error:  # one line, no traceback: the flow run in Prefect has the details
        typer.echo(f"stock sync {client} failed: {error}", err=True)
        raise typer.Exit(1) from None
    if outcome.status is RunStatus.SKIPPED:
        typer.echo(f"stock sync {client}: skipped: {outcome.message}")
        return
    if outcome.status is RunStatus.LOCKED:  # another run is doing the work: not a failure
        typer.echo(f"stock sync {client}: skipped, {outcome.message}")
        return
    typer.echo(outcome.message)
    typer.echo(f"report: {outcome.csv}")
