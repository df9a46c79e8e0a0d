"""The token breaker's table and rules, and the Ecwid client refusing/tripping through it,
against the sandbox (in-process ASGI) and SQLite."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import inspect

from npf_ecwid.breaker.fingerprint import fingerprint, same_token
from npf_ecwid.breaker.guard import TokenBreaker, TokenRefused
from npf_ecwid.breaker.store import describe
from npf_ecwid.config import parse_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.db import get_engine
from npf_ecwid.ecwid.errors import EcwidAuthError
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import Sandbox, create_app, generate_store
from npf_ecwid.settings import get_settings
from tests.dbs import upgraded

TOKEN = SecretStr("secret_" + "a" * 32)
OTHER = SecretStr("secret_" + "b" * 32)


@pytest.fixture
def breaker(tmp_path: Path) -> TokenBreaker:
    return TokenBreaker(get_engine(upgraded(f"sqlite:///{tmp_path / 'npf.db'}")))


def test_fingerprint_tells_tokens_apart_and_holds_no_token() -> None:
    mark = fingerprint(TOKEN)
    assert same_token(mark, TOKEN) and not same_token(mark, OTHER)
    assert TOKEN.get_secret_value() not in mark and "secret_" not in mark
    assert fingerprint(TOKEN) != mark  # salted: equal tokens do not look equal
    assert not same_token(None, TOKEN) and not same_token("garbage", TOKEN)


def test_trip_is_news_once_per_token(breaker: TokenBreaker) -> None:
    assert breaker.gate("ACME", TOKEN) is None  # no row: go
    assert breaker.trip("ACME", "403 INVALID_API_TOKEN on GET /orders", TOKEN) is True
    assert breaker.trip("ACME", "403 INVALID_API_TOKEN on GET /profile", TOKEN) is False
    reason = breaker.gate("ACME", TOKEN)
    assert reason is not None and "403 INVALID_API_TOKEN on GET /orders" in reason
    assert "clients check ACME" in reason and TOKEN.get_secret_value() not in reason
    assert breaker.gate("BOLT", TOKEN) is None  # per client
    state = breaker.state("ACME")
    assert state is not None and describe(state).startswith("refused since ")


def test_a_replaced_token_closes_the_breaker(breaker: TokenBreaker) -> None:
    breaker.trip("ACME", "403 on GET /orders", TOKEN)
    assert breaker.gate("ACME", OTHER) is None
    state = breaker.state("ACME")
    assert state is not None and not state.refused and state.closed_reason == "token replaced"
    # ... and if the new one is refused too, that is news again (one more alert)
    assert breaker.trip("ACME", "403 on GET /orders", OTHER) is True


def test_tripped_without_a_token_refuses_any_token_until_checked(breaker: TokenBreaker) -> None:
    assert breaker.trip("ACME", "the app was uninstalled", None) is True
    assert breaker.trip("ACME", "the app was uninstalled", None) is False
    assert breaker.gate("ACME", OTHER) is not None
    was = breaker.close("ACME", "clients check passed", checked=True)
    assert was is not None and was.reason == "the app was uninstalled"
    assert breaker.gate("ACME", OTHER) is None
    assert describe(breaker.state("ACME")).startswith("OK (checked ")
    assert describe(None) == "not checked"


def test_upgrade_creates_the_table(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    assert "npf_token_breaker" in inspect(engine).get_table_names()


async def test_the_client_trips_on_a_refusal_and_then_sends_nothing(
    breaker: TokenBreaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox([generate_store(1003, orders=5)])
    sandbox.add_token(TOKEN.get_secret_value(), 1003)
    sandbox.revoke_token(TOKEN.get_secret_value())
    transport = httpx.ASGITransport(app=create_app(sandbox))
    client = parse_client("ACME", {"store_id": 1003, "token": "env:BREAKER_T"})
    settings = get_settings().model_copy(update={"ecwid_api_url": "http://sandbox/api/v3"})
    monkeypatch.setenv("BREAKER_T", TOKEN.get_secret_value())
    async with open_ecwid(client, settings, transport=transport, breaker=breaker) as ecwid:
        with pytest.raises(EcwidAuthError):
            await ecwid.get_profile()
        with pytest.raises(EcwidAuthError):  # the session sends nothing more
            await ecwid.get_profile()
    assert sandbox.requests_with(TOKEN.get_secret_value()) == 1
    state = breaker.state("ACME")
    assert state is not None and state.reason == "403 INVALID_API_TOKEN on GET /profile"
    with pytest.raises(TokenRefused, match="not calling Ecwid"):
        open_ecwid(client, settings, transport=transport, breaker=breaker)
    assert sandbox.requests_with(TOKEN.get_secret_value()) == 1


async def test_a_missing_scope_does_not_trip(breaker: TokenBreaker, monkeypatch) -> None:
    sandbox = Sandbox([generate_store(1003, orders=5)])
    sandbox.add_token(TOKEN.get_secret_value(), 1003, scopes=["read_store_profile"])
    monkeypatch.setenv("BREAKER_T", TOKEN.get_secret_value())
    transport = httpx.ASGITransport(app=create_app(sandbox))
    client = parse_client("ACME", {"store_id": 1003, "token": "env:BREAKER_T"})
    settings = get_settings().model_copy(update={"ecwid_api_url": "http://sandbox/api/v3"})
    async with open_ecwid(client, settings, transport=transport, breaker=breaker) as ecwid:
        with pytest.raises(EcwidAuthError) as refused:
            await ecwid.search_products()
        assert refused.value.error_code == "INSUFFICIENT_APP_SCOPE"
        await ecwid.get_profile()  # still sends: the token works
    assert breaker.state("ACME") is None
