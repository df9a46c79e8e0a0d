"""`ECWID_TIMEOUT_S` bounds each Ecwid request attempt, so a hung request is retried after that
long instead of after the 30 s default (the chaos run's children rely on it)."""

from __future__ import annotations

import time

import httpx
import pytest

from npf_ecwid.config import parse_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.ecwid.errors import EcwidUnavailable
from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store


async def test_hung_requests_give_up_after_the_configured_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = Sandbox([generate_store(1003, orders=5)], Faults(timeout_rate=1.0, hang_s=30))
    sandbox.add_token("t-timeout-setting", 1003)
    monkeypatch.setenv("T_TOKEN", "t-timeout-setting")
    monkeypatch.setenv("ECWID_TIMEOUT_S", "0.3")
    client = parse_client("T", {"store_id": 1003, "token": "env:T_TOKEN"})
    transport = httpx.ASGITransport(create_app(sandbox))
    started = time.monotonic()
    async with open_ecwid(
        client, transport=transport, max_attempts=2, backoff_base=0.01, backoff_max=0.01
    ) as ecwid:
        assert ecwid.timeout == 0.3
        with pytest.raises(EcwidUnavailable):
            await ecwid.get_profile()
    assert time.monotonic() - started < 5
    assert sandbox.count(path_prefix="/profile") == 2
