"""`npf-ecwid` command line. Each area registers its own sub-app module here."""

from __future__ import annotations

import typer

from cli import (
    clients,
    db,
    demo,
    orders,
    sandbox,
    serve,
    shipping,
    status,
    stock,
    tracking,
)
from npf_ecwid.gc_tuning import tune_gc
from npf_ecwid.settings import SettingsError

app = typer.Typer(
    name="npf-ecwid",
    help="Ecwid <-> NPF warehouse integration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(clients.app, name="clients")
app.add_typer(orders.app, name="orders")
app.add_typer(tracking.app, name="tracking")
app.add_typer(stock.app, name="stock")
app.add_typer(shipping.app, name="shipping")
app.add_typer(db.app, name="db")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("status")(status.status)


def main() -> None:
    tune_gc()  # once, at process start, after the imports (see `tune_gc`)
    try:
        app()
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    except RuntimeError as error:
        # Prefect's message when PREFECT_API_URL points at no server: one line, not a traceback.
        from runtime.prefect_compat import unreachable_api

        if not unreachable_api(error):
            raise
        typer.echo(
            f"error: {error.args[0].rstrip('/')}: start `prefect server start` there, "
            "or unset PREFECT_API_URL to record runs in Prefect's local database",
            err=True,
        )
        raise SystemExit(1) from None
