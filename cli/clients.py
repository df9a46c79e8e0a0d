"""`npf-ecwid clients list|add|check|rates-key`: onboarding and checking client stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from pydantic import SecretStr

from cli.db import open_database
from npf_ecwid.breaker.guard import TokenBreaker, open_breaker
from npf_ecwid.breaker.store import describe, read_breakers
from npf_ecwid.config import ClientConfig, ConfigError, get_client, load_clients, resolve_token
from npf_ecwid.onboarding.check import CheckResult, Verdict, check_client
from npf_ecwid.onboarding.check_log import record_checks
from npf_ecwid.onboarding.clients_file import add_client
from npf_ecwid.onboarding.oauth import OAuthError, exchange_code
from npf_ecwid.onboarding.rates_key import RatesKeyError, issue_rates_key
from npf_ecwid.onboarding.tokens import default_token_var, save_token_to_env
from npf_ecwid.settings import get_settings

app = typer.Typer(
    help="Client stores: list, add (onboard), check access, issue rates keys.",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@app.command("list")
def list_clients() -> None:
    """One line per client in the clients file (NPF_CLIENTS), with the token's state:
    OK (a `clients check` passed), refused since ... (runs skip Ecwid), or not checked."""
    try:
        clients = load_clients(get_settings().clients_file)
    except ConfigError as error:
        raise _fail(str(error)) from None
    breakers = read_breakers(open_database()) if clients else {}
    for c in clients.values():
        stock = f"stock {c.stock.value} at {c.stock_time:%H:%M} {c.timezone}"
        typer.echo(
            f"{c.code}\tstore {c.store_id}\ttoken {c.token}\t"
            f"orders every {c.order_interval_minutes} min\t{stock}\t"
            f"token {describe(breakers.get(c.code))}"
        )
    if not clients:
        typer.echo("no clients yet: npf-ecwid clients add CODE --store-id N")


def _token_from_user(var: str | None) -> SecretStr:
    """An already-set env var, else a hidden prompt; never echoed."""
    import os

    if var and os.environ.get(var):
        return SecretStr(os.environ[var])
    value = typer.prompt("Ecwid secret token (input hidden)", hide_input=True).strip()
    if not value:
        raise _fail("no token given")
    return SecretStr(value)


@app.command("add")
def add(
    code: str = typer.Argument(..., help="Client code, e.g. ACME (deployments use it lowercased)."),
    store_id: int | None = typer.Option(None, help="Ecwid store id (from OAuth if omitted)."),
    token_env: str | None = typer.Option(
        None, help="Keep the token in .env under this variable (default CODE_ECWID_TOKEN)."
    ),
    secret_block: str | None = typer.Option(
        None, help="Keep the token in this Prefect Secret block instead of .env."
    ),
    oauth_code: str | None = typer.Option(
        None, help="Authorisation code from the app's redirect; exchanged for the token."
    ),
    order_prefix: str = typer.Option("", help="Only orders whose Ecwid id starts with this."),
    order_start_date: str | None = typer.Option(None, help="Ignore orders before YYYY-MM-DD."),
    countries: str | None = typer.Option(None, help="Comma-separated ISO codes (empty = all)."),
    fulfillment_statuses: str | None = typer.Option(None, help="Comma-separated."),
    payment_statuses: str | None = typer.Option(None, help="Comma-separated, e.g. PAID."),
    push_tracking_url: bool = typer.Option(False, help="Also push the tracking URL."),
    stock: str = typer.Option("off", help="on_hand | available | off"),
    stock_time: str = typer.Option("18:00", help="Local time of the daily stock sync."),
    timezone: str = typer.Option("Australia/Melbourne", help="IANA time zone of the client."),
    interval: int = typer.Option(5, help="Minutes between order pulls and tracking pushes."),
    replace: bool = typer.Option(False, help="Overwrite an existing client table."),
) -> None:
    """Add a client: its table goes to the clients file, its token to .env or a Secret block,
    and a new rates key to the store's Ecwid app storage (hash in the database).

    The token is read from `--oauth-code` (exchanged with the app's ECWID_APP_CLIENT_ID/SECRET),
    or from the `--token-env` variable if already set, or from a hidden prompt.
    """
    settings = get_settings()
    if token_env and secret_block:
        raise _fail("choose --token-env or --secret-block, not both")
    try:
        if oauth_code:
            granted = exchange_code(oauth_code, settings)
            if store_id is not None and store_id != granted.store_id:
                raise _fail(f"the code is for store {granted.store_id}, not {store_id}")
            store_id, token = granted.store_id, granted.access_token
        elif store_id is None:
            raise _fail("--store-id is required without --oauth-code")
        else:
            token = _token_from_user(token_env)
        fields = {
            "store_id": store_id,
            "token": f"secret:{secret_block}"
            if secret_block
            else f"env:{token_env or default_token_var(code)}",
            "order_prefix": order_prefix,
            "countries": _split(countries),
            "fulfillment_statuses": _split(fulfillment_statuses),
            "payment_statuses": _split(payment_statuses),
            "push_tracking_url": push_tracking_url,
            "stock": stock,
            "stock_time": stock_time,
            "timezone": timezone,
            "order_interval_minutes": interval,
        }
        if order_start_date:
            fields["order_start_date"] = date.fromisoformat(order_start_date)
        config = ClientConfig.model_validate({**fields, "code": code})  # validate before saving
        _save_token(config, token)
        add_client(settings.clients_file, code, fields, replace=replace)
    except (ConfigError, OAuthError, ValueError) as error:
        raise _fail(str(error)) from None
    typer.echo(f"added {code} (store {store_id}, token {config.token}) to {settings.clients_file}")
    _issue_keys([config])
    typer.echo(f"next: npf-ecwid clients check {code}")


def _issue_keys(clients: list[ClientConfig]) -> None:
    """Issue a rates key per client; one line each; exit 1 after all if any failed."""

    settings = get_settings()
    engine = open_database()
    failed = 0
    for client in clients:
        try:
            asyncio.run(issue_rates_key(client, settings, engine, load_secret=_load_secret))
        except (RatesKeyError, ConfigError) as error:
            failed += 1
            typer.echo(f"error: {error}; run: npf-ecwid clients rates-key {client.code}", err=True)
            continue
        typer.echo(f"{client.code}: rates key issued (store {client.store_id} app storage)")
    if failed:
        raise typer.Exit(1)


@app.command("rates-key")
def rates_key(
    code: str | None = typer.Argument(None, help="One client; all when omitted."),
) -> None:
    """Issue a new rates key: into the store's Ecwid app storage (sent back to us in every
    shipping request) and its hash into the database. Replaces the old key at once; run for
    clients added before keys existed, or to rotate. Needs the token scope update_store_profile.
    """
    path = get_settings().clients_file
    try:
        clients = [get_client(path, code)] if code else list(load_clients(path).values())
    except ConfigError as error:
        raise _fail(str(error)) from None
    _issue_keys(clients)


def _save_token(config: ClientConfig, token: SecretStr) -> None:
    kind, _, name = config.token.partition(":")
    if kind == "secret":
        from runtime.secrets import save_secret  # Prefect; imported only when needed

        save_secret(name, token)
    else:
        save_token_to_env(Path(".env"), name, token)


def _load_secret(name: str) -> str:
    from runtime.secrets import load_secret

    return load_secret(name)


async def _check_all(clients: list[ClientConfig]) -> list[CheckResult]:
    settings = get_settings()
    checks = [check_client(c, settings, load_secret=_load_secret) for c in clients]
    return list(await asyncio.gather(*checks))


def _settle_breaker(breaker: TokenBreaker, client: ClientConfig, result: CheckResult) -> str:
    """A passing check closes the client's token breaker (scheduled runs call Ecwid again); a
    refused token trips it, so runs stop using it at once. Returns what changed, or ''."""
    if result.ok:
        was = breaker.close(client.code, "clients check passed", checked=True)
        if was is None:
            return ""
        return (
            f"token breaker closed: refused since {was.since} ({was.reason}); runs call Ecwid again"
        )
    if result.verdict is Verdict.WRONG_TOKEN:
        try:
            token = resolve_token(client, _load_secret)
        except ConfigError:
            token = None
        breaker.trip(client.code, f"clients check: {result.verdict.value}", token)
    state = breaker.state(client.code)
    if state is not None and state.refused:
        return f"token breaker open: refused since {state.since} ({state.reason}); runs skip Ecwid"
    return ""


@app.command("check")
def check(code: str | None = typer.Argument(None, help="One client; all when omitted.")) -> None:
    """GET /profile and the token's scopes per client; one verdict line each.

    Verdicts: OK, wrong token, missing scopes X, wrong store, token not set, unreachable.
    OK closes the client's token breaker (its runs call Ecwid again); wrong token opens it.
    Exit code 1 when any client is not OK.
    """
    path = get_settings().clients_file
    try:
        clients = [get_client(path, code)] if code else list(load_clients(path).values())
    except ConfigError as error:
        raise _fail(str(error)) from None
    engine = open_database()
    results = asyncio.run(_check_all(clients))
    record_checks(engine, results, datetime.now(UTC))  # for `npf-ecwid status`
    breaker = open_breaker()
    by_code = {c.code: c for c in clients}
    for result in results:
        typer.echo(result.line)
        note = _settle_breaker(breaker, by_code[result.client], result)
        if note:
            typer.echo(f"{result.client}: {note}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
