"""`npf-ecwid` command line. Each area registers its own sub-app module here."""

from __future__ import annotations

import typer

from npf_ecwid.cli import clients, demo, orders, sandbox, serve, shipping, stock, tracking

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
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


def main() -> None:
    app()
