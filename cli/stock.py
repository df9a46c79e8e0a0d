"""`npf-ecwid stock sync --client CODE [--dry-run] [--force]`."""

from __future__ import annotations

import typer

from cli.flow_run import CLIENT_OPTION, did_no_work, dry_run_option, run_for_client

app = typer.Typer(help="Reconcile Ecwid stock with the warehouse.", no_args_is_help=True)


@app.command()
def sync(
    client: str = CLIENT_OPTION,
    dry_run: bool = dry_run_option("Compare and report only; write nothing to Ecwid."),
    force: bool = typer.Option(
        False, "--force", help="Push even if the safety guard refuses (stale/empty/mass-zero)."
    ),
) -> None:
    """Run the `sync-stock` flow once for CLIENT; prints the outcome and the report CSV."""
    from flows.stock import sync_stock

    outcome = run_for_client(
        "stock sync", client, lambda: sync_stock(client, dry_run=dry_run, force=force)
    )
    if did_no_work("stock sync", client, outcome.status, outcome.message):
        return
    typer.echo(outcome.message)
    typer.echo(f"report: {outcome.csv}")
