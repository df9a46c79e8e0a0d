"""`npf-ecwid tracking push --client CODE [--dry-run] [--retry-failed]`."""

from __future__ import annotations

import typer

from npf_ecwid.config import ConfigError, get_client
from npf_ecwid.runs import RunStatus
from npf_ecwid.settings import get_settings
from npf_ecwid.tracking.report import summary_line

app = typer.Typer(help="Push the warehouse's tracking numbers to Ecwid.", no_args_is_help=True)


@app.command()
def push(
    client: str = typer.Option(..., "--client", help="Client code from the clients file."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Read Ecwid and show what would be sent; send nothing."
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Push again orders recorded as failed (e.g. after a fix)."
    ),
) -> None:
    """Run the `push-tracking` flow once for CLIENT and print what it did."""
    try:  # a wrong client code or a broken clients file: say so before starting a flow run
        get_client(get_settings().clients_file, client)
    except ConfigError as error:
        typer.echo(f"tracking push {client} failed: {error}", err=True)
        raise typer.Exit(1) from None

    from flows.tracking import push_tracking

    try:
        report = push_tracking(client, dry_run=dry_run, retry_failed=retry_failed)
    except Exception as error:  # one line, no traceback: the flow run in Prefect has the details
        typer.echo(f"tracking push {client} failed: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(1) from None
    if report.status is RunStatus.LOCKED:  # another run is doing the work: not a failure
        typer.echo(f"tracking push {client}: skipped, {report.reason}")
        return
    if report.status is RunStatus.SKIPPED:
        typer.echo(f"tracking push {client}: skipped: {report.reason}")
        return
    for row in report.rows:
        line = f"{row['order']}\t{row['status']}\t{row['tracking_number']}"
        extra = row["reason"] or row["body"]
        typer.echo(f"{line}\t{extra}" if extra else line)
    typer.echo(("DRY RUN, nothing sent: " if dry_run else "") + summary_line(client, report.counts))
