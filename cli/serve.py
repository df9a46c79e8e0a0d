"""`npf-ecwid serve`: all client deployments on their schedules, in one process."""

from __future__ import annotations

import typer

from npf_ecwid.config import ConfigError, load_clients
from npf_ecwid.settings import get_settings


def serve(
    limit: int = typer.Option(
        16,
        min=1,
        help="Most flow runs at once (threads of this process; they mostly wait on the "
        "Prefect server, so 16 carried 200 clients where 8 did not).",
    ),
) -> None:
    """Register one deployment per client per flow with the Prefect server and run them.

    Needs PREFECT_API_URL (a running `prefect server start`). Ctrl-C stops it and pauses the
    deployments until the next `serve`.
    """
    # Imported here: Prefect takes ~2 s to import and `--help` should not wait for it.
    from cli.db import open_database
    from deployments.build import available_flows
    from deployments.plan import plan_deployments
    from deployments.serve import ServeError, require_api_url, serve_plans

    try:
        require_api_url()
        open_database()  # before any flow run: they only check the schema
        clients = load_clients(get_settings().clients_file)
        flows = available_flows()
        plans = plan_deployments(clients.values(), flows)
        typer.echo(
            f"serving {len(plans)} deployments for {len(clients)} clients "
            f"({', '.join(f.name for f in flows)})"
        )
        serve_plans(plans, limit=limit)
    except (ServeError, ConfigError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
