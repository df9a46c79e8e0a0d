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
    stores: Annotated[
        int,
        typer.Option(
            help="Number of stores: ids STORE_ID, STORE_ID+1, ...; store N's token is "
            "TOKEN-N (the first store also accepts TOKEN)."
        ),
    ] = 1,
) -> None:
    """Serve generated sandbox stores over HTTP at http://HOST:PORT/api/v3/STORE_ID."""
    import uvicorn

    from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
    from npf_ecwid.sandbox.store import generate_store

    if not 0.0 <= fail_rate <= 1.0:
        raise typer.BadParameter("--fail-rate must be between 0 and 1")
    if stores < 1:
        raise typer.BadParameter("--stores must be at least 1")
    faults = Faults(
        latency_ms=latency_ms, rate_limit=rate_limit, rate_window=rate_window, fail_rate=fail_rate
    )
    sandbox = Sandbox(faults=faults)
    for number in range(store_id, store_id + stores):
        sandbox.add_store(
            generate_store(
                number, orders=orders, seed=seed + number - store_id, order_prefix=order_prefix
            )
        )
        if number == store_id:
            sandbox.add_token(token, number)
        if stores > 1:
            sandbox.add_token(f"{token}-{number}", number)
    last = f"..{store_id + stores - 1} (token {token}-STOREID)" if stores > 1 else ""
    typer.echo(
        f"Ecwid sandbox: store {store_id}{last} with {orders} orders each at "
        f"http://{host}:{port}/api/v3/{store_id}  (ECWID_API_URL=http://{host}:{port}/api/v3)"
    )
    uvicorn.run(create_app(sandbox), host=host, port=port, log_level="warning", lifespan="off")
