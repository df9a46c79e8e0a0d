"""`npf-ecwid sandbox ...`: the Ecwid emulator."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 (the sandbox's public, documented test token)

app = typer.Typer(
    help="The Ecwid API sandbox (an emulator for tests, the demo and benchmarks).",
    no_args_is_help=True,
)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind (keep it on loopback).")] = (
        "127.0.0.1"
    ),
    store_id: Annotated[int, typer.Option(help="Ecwid store id to emulate.")] = 1003,
    token: Annotated[str, typer.Option(help="Bearer token the store accepts.")] = DEFAULT_TOKEN,
    orders: Annotated[int, typer.Option(help="Number of generated orders.")] = 500,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same store).")] = 1,
    order_prefix: Annotated[str, typer.Option(help="Store's order ID prefix.")] = "ACME-",
    latency_ms: Annotated[float, typer.Option(help="Latency added to each request.")] = 0.0,
    rate_limit: Annotated[int, typer.Option(help="Requests per rolling window per token.")] = 600,
    rate_window: Annotated[float, typer.Option(help="Rate-limit window in seconds.")] = 60.0,
    fail_rate: Annotated[float, typer.Option(help="Share of requests answered 5xx.")] = 0.0,
) -> None:
    """Serve a generated sandbox store over HTTP at http://HOST:PORT/api/v3/STORE_ID."""
    import uvicorn

    from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
    from npf_ecwid.sandbox.store import generate_store

    if not 0.0 <= fail_rate <= 1.0:
        raise typer.BadParameter("--fail-rate must be between 0 and 1")
    store = generate_store(store_id, orders=orders, seed=seed, order_prefix=order_prefix)
    faults = Faults(
        latency_ms=latency_ms, rate_limit=rate_limit, rate_window=rate_window, fail_rate=fail_rate
    )
    sandbox = Sandbox([store], faults)
    sandbox.add_token(token, store_id)
    typer.echo(
        f"Ecwid sandbox: store {store_id} with {orders} orders at "
        f"http://{host}:{port}/api/v3/{store_id}  (ECWID_API_URL=http://{host}:{port}/api/v3)"
    )
    uvicorn.run(create_app(sandbox), host=host, port=port, log_level="warning", lifespan="off")
