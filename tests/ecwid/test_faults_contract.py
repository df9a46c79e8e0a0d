"""Typed errors, fault storms and secrecy, against the sandbox over ASGI and real HTTP."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidError, EcwidNotFound
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.sandbox.app import Sandbox
from npf_ecwid.sandbox.store import SandboxStore
from tests.ecwid.conftest import Wire


def visible_ids(store: SandboxStore) -> list[str]:
    return sorted(o["id"] for o in store.orders() if o["paymentStatus"] != "INCOMPLETE")


async def test_wrong_token_is_an_auth_error_without_retries(wire: Wire) -> None:
    wrong = Wire(wire.api_url, wire.transport, SecretStr("secret_wrong_token_value"))
    async with wrong.client() as ecwid:
        with pytest.raises(EcwidAuthError, match=r"^Ecwid rejected the token \(403\): ") as raised:
            await ecwid.get_profile()
        assert raised.value.status == 403
        assert raised.value.error_message
        assert ecwid.stats.requests == 1


async def test_unknown_order_is_not_found(ecwid: EcwidClient) -> None:
    with pytest.raises(EcwidNotFound, match=r"^order ACME-NOPE1 not found \(404\)$"):
        await ecwid.get_order("ACME-NOPE1")
    assert ecwid.stats.requests == 1


async def test_5xx_storm_is_ridden_out(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    sandbox.faults.fail_rate = 0.3
    found = await ecwid.search_orders(OrderQuery())
    assert sorted(o.id for o in found) == visible_ids(store)
    failed = sum(sandbox.count(status=s) for s in (500, 502, 503, 504))
    assert failed > 0
    assert ecwid.stats.retries == failed


@pytest.mark.parametrize("fault", ["timeout_rate", "drop_rate"])
async def test_hangs_and_dropped_connections_are_ridden_out(
    wire: Wire, store: SandboxStore, sandbox: Sandbox, fault: str
) -> None:
    setattr(sandbox.faults, fault, 0.3)
    async with wire.client(timeout=0.5, max_attempts=10) as ecwid:
        found = await ecwid.search_orders(OrderQuery())
    assert sorted(o.id for o in found) == visible_ids(store)
    assert ecwid.stats.transport_errors == ecwid.stats.retries > 0


async def test_429_storm_is_ridden_out_within_the_servers_limit(
    wire: Wire, store: SandboxStore, sandbox: Sandbox
) -> None:
    """The client's own limiter is set far above the sandbox's (say Ecwid lowered the limit):
    the client must slow down on 429 + Retry-After and still fetch everything."""
    sandbox.faults.rate_limit, sandbox.faults.rate_window = 2, 0.5
    generous = SlidingWindowLimiter(limit=1000, window=1.0)
    async with wire.client(limiter=generous, max_attempts=12) as ecwid:
        found = await ecwid.search_orders(OrderQuery())
    assert sorted(o.id for o in found) == visible_ids(store)
    assert ecwid.stats.rate_limited == sandbox.count(status=429) > 0
    assert sandbox.max_in_window(0.5) <= 2


async def test_token_never_reaches_logs_errors_or_reprs(
    wire: Wire, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    secret = wire.token.get_secret_value()
    caplog.set_level(logging.DEBUG)
    errors: list[EcwidError] = []
    sandbox.faults.fail_rate = 0.5
    async with wire.client(max_attempts=2) as ecwid:
        for call in (
            lambda: ecwid.search_orders(OrderQuery()),
            lambda: ecwid.get_order("ACME-NOPE1"),
            lambda: ecwid.get_profile(),
        ):
            try:
                await call()
            except EcwidError as error:
                errors.append(error)
        sandbox.revoke_token(secret)
        sandbox.faults.fail_rate = 0.0
        with pytest.raises(EcwidAuthError) as raised:
            await ecwid.get_profile()
        errors.append(raised.value)
        texts = [repr(ecwid), str(ecwid.__dict__), repr(ecwid.limiter), str(ecwid.stats)]
    assert errors and caplog.records
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.__dict__) for record in caplog.records]
    assert not [text for text in texts if secret in text]
