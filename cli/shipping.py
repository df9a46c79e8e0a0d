"""`npf-ecwid shipping ...`: the shipping-rates and webhook web app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Ecwid shipping rates (checkout) and webhooks.", no_args_is_help=True)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port.")] = 8790,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    rates: Annotated[
        Path | None,
        typer.Option(help="Rate card file [default: rates.toml beside NPF_CLIENTS, else demo]."),
    ] = None,
    debounce: Annotated[
        float, typer.Option(help="Seconds a burst of webhooks for one client waits.")
    ] = 2.0,
) -> None:
    """Serve POST /shipping/rates and POST /webhooks/ecwid with uvicorn.

    Connection limits (see npf_ecwid/shipping/serving.py): request head and body each within
    5 s, keep-alive 5 s, connections capped below the open-file limit (longest-idle closed
    first), bodies capped per path (413 before reading on Content-Length).
    """
    import uvicorn

    from cli.db import open_database
    from deployments.trigger import PrefectOrderSyncTrigger
    from npf_ecwid.config import ConfigError
    from npf_ecwid.shipping.ratecard import RateCardError
    from npf_ecwid.shipping.server import build_app
    from npf_ecwid.shipping.serving import server_config

    try:
        if rates is not None and not rates.exists():
            raise RateCardError(f"rate card file {rates} not found")
        open_database()
        web_app = build_app(
            rates_path=rates, trigger=PrefectOrderSyncTrigger(), debounce_seconds=debounce
        )
    except (ConfigError, RateCardError) as error:
        typer.echo(f"shipping serve: {error}", err=True)
        raise typer.Exit(1) from None
    uvicorn.Server(server_config(web_app, host=host, port=port)).run()


@app.command()
def sample(
    rates: Annotated[Path | None, typer.Option(help="Rate card file [default: demo card].")] = None,
) -> None:
    """Print the quote for Ecwid's documented example request."""
    from npf_ecwid.shipping.ratecard import RateCardError
    from npf_ecwid.shipping.server import sample_quote

    try:
        typer.echo(sample_quote(rates))
    except RateCardError as error:
        typer.echo(f"shipping sample: {error}", err=True)
        raise typer.Exit(1) from None
