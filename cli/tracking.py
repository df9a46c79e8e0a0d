"""`npf-ecwid tracking push --client CODE [--dry-run] [--retry-failed]`."""

from __future__ import annotations

import typer

from cli.flow_run import CLIENT_OPTION, did_no_work, dry_run_option, run_for_client
from npf_ecwid.tracking.report import summary_line

app = typer.Typer(help="Push the warehouse's tracking numbers to Ecwid.", no_args_is_help=True)


@app.command()
def push(
    client: str = CLIENT_OPTION,
    dry_run: bool = dry_run_option("Read Ecwid and show what would be sent; send nothing."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Push again orders recorded as failed (e.g. after a fix)."
    ),
) -> None:
    """Run the `push-tracking` flow once for CLIENT and print what it did."""
    from flows.tracking import push_tracking

    report = run_for_client(
        "tracking push",
        client,
        lambda: push_tracking(client, dry_run=dry_run, retry_failed=retry_failed),
    )
    if did_no_work("tracking push", client, report.status, report.reason):
        return
    for row in report.rows:
        line = f"{row['order']}\t{row['status']}\t{row['tracking_number']}"
        extra = row["reason"] or row["body"]
        typer.echo(f"{line}\t{extra}" if extra else line)
    typer.echo(("DRY RUN, nothing sent: " if dry_run else "") + summary_line(client, report.counts))
