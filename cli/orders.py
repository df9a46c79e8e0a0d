"""`npf-ecwid orders ...`: pull a client's orders now, list its quarantined orders, show one
order's timeline."""

from __future__ import annotations

import typer

from cli.db import open_database
from cli.flow_run import CLIENT_OPTION, did_no_work, run_for_client
from npf_ecwid.config import ConfigError, get_client, load_clients
from npf_ecwid.orders.state import list_quarantine
from npf_ecwid.settings import get_settings
from npf_ecwid.timeline import OrderLookupError, order_timeline, render_timeline

app = typer.Typer(help="Order pull: Ecwid orders into the warehouse.", no_args_is_help=True)

ClientOption = CLIENT_OPTION


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@app.command()
def pull(
    client: str = ClientOption,
    since: str | None = typer.Option(
        None, help="Re-pull orders updated since this date (YYYY-MM-DD) or ISO time."
    ),
) -> None:
    """Run the `sync-orders` flow once for CLIENT (uses PREFECT_API_URL's server if set)."""
    from flows.orders import sync_orders  # Prefect is imported only when a flow runs

    summary = run_for_client("orders pull", client, lambda: sync_orders(client=client, since=since))
    if did_no_work("orders pull", client, summary.status, summary.reason):
        return  # the token breaker: not an error, Ecwid's refusal was alerted when it came
    for row in summary.table():
        typer.echo(f"{row['count']:>18}: {row['orders']}")


@app.command()
def quarantine(client: str = ClientOption) -> None:
    """List CLIENT's quarantined orders with the reason each was held back."""
    settings = get_settings()
    try:
        get_client(settings.clients_file, client)
    except ConfigError as error:
        raise _fail(str(error)) from None
    entries = list_quarantine(open_database(), client)
    if not entries:
        typer.echo(f"client {client}: no quarantined orders")
        return
    for entry in entries:
        seen = entry.last_seen_at.strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(f"{entry.ecwid_order_id}\t{seen}\t{entry.reason}")


@app.command()
def show(
    order_id: str = typer.Argument(..., help="Ecwid order id, prefix included (ACME-1234)."),
    client: str | None = typer.Option(None, "--client", help="Client code, if ambiguous."),
) -> None:
    """Everything recorded about one order, oldest first, with the flow runs that did it."""
    settings = get_settings()
    try:
        clients = load_clients(settings.clients_file)
    except ConfigError as error:
        raise _fail(str(error)) from None
    modes = {code: config.stock for code, config in clients.items()}
    engine = open_database()
    try:
        timeline = order_timeline(engine, order_id, client=client, stock_modes=modes)
    except OrderLookupError as error:
        raise _fail(str(error)) from None
    for line in render_timeline(timeline):
        typer.echo(line)
