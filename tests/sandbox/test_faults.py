"""Rate limiting and injected faults."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from npf_ecwid.sandbox import Sandbox, create_app
from tests.sandbox.conftest import STORE_ID, TOKEN, make_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_rolling_window_429_with_retry_after(store) -> None:
    clock = FakeClock()
    sandbox = Sandbox([store], clock=clock)
    sandbox.add_token(TOKEN, STORE_ID)
    sandbox.faults.rate_limit, sandbox.faults.rate_window = 5, 6.0
    async with make_client(sandbox) as client:
        for _ in range(5):
            assert (await client.get("/profile")).status_code == 200
            clock.now += 1.0  # requests at 1000..1004
        limited = await client.get("/profile")  # at 1005: window (999, 1005] holds 5
        assert limited.status_code == 429
        assert limited.json()["errorCode"] == "RATE_LIMITED"
        assert limited.headers["Retry-After"] == "1"  # the 1000 slot frees at 1006
        clock.now = 1005.5
        assert (await client.get("/profile")).headers["Retry-After"] == "1"
        clock.now = 1006.0
        assert (await client.get("/profile")).status_code == 200
        # another token has its own window
        sandbox.add_token("second", STORE_ID)
        async with make_client(sandbox, "second") as other:
            assert (await other.get("/profile")).status_code == 200
    assert sandbox.count(status=429) == 2
    assert sandbox.max_in_window(6.0) == 6  # both tokens together
    assert sandbox.max_in_window(6.0, token=TOKEN) == 5
    assert all(TOKEN not in repr(e) for e in sandbox.request_log)


async def test_retry_after_counts_whole_seconds_until_a_slot_frees(store) -> None:
    clock = FakeClock()
    sandbox = Sandbox([store], clock=clock)
    sandbox.add_token(TOKEN, STORE_ID)
    sandbox.faults.rate_limit, sandbox.faults.rate_window = 3, 60.0
    async with make_client(sandbox) as client:
        for _ in range(3):
            await client.get("/profile")
        clock.now += 12.5
        assert (await client.get("/profile")).headers["Retry-After"] == "48"


async def test_latency_overlaps_concurrent_requests(sandbox: Sandbox) -> None:
    sandbox.faults.latency_ms = 200
    async with make_client(sandbox) as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.get("/profile") for _ in range(10)))
        elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert 0.2 <= elapsed < 1.5  # ten 200 ms requests overlap instead of taking 2 s


async def test_injected_5xx(sandbox: Sandbox) -> None:
    sandbox.faults.fail_rate = 1.0
    async with make_client(sandbox) as client:
        response = await client.get("/orders")
        assert response.status_code in (500, 502, 503)
        sandbox.faults.fail_status = 503
        assert (await client.get("/orders")).status_code == 503
        sandbox.faults.fail_rate = 0.0
        assert (await client.get("/orders")).status_code == 200
    assert [e.fault for e in sandbox.request_log] == ["fail", "fail", None]


async def test_dropped_connection_is_a_transport_error(sandbox: Sandbox) -> None:
    sandbox.faults.drop_rate = 1.0
    async with make_client(sandbox) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/orders")
    assert sandbox.request_log[-1].status == 0
    assert sandbox.request_log[-1].fault == "drop"


async def test_timeout_hangs_until_the_client_gives_up(sandbox: Sandbox) -> None:
    sandbox.faults.timeout_rate = 1.0
    async with make_client(sandbox) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):  # httpx timeouts do not apply to ASGI transport
                await client.get("/orders")
        assert time.monotonic() - started < 2
    assert sandbox.request_log[-1].fault == "timeout"
    assert sandbox.request_log[-1].status == 0


async def test_faulted_requests_do_not_touch_the_store(sandbox: Sandbox, store) -> None:
    order_id = store.orders()[0]["id"]
    sandbox.faults.fail_rate = 1.0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_app(sandbox)),
        base_url=f"http://sandbox/api/v3/{STORE_ID}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        await client.put(f"/orders/{order_id}", json={"trackingNumber": "1"})
    assert store.write_log == []


async def test_drop_after_applies_the_write_but_loses_the_answer(sandbox: Sandbox, store) -> None:
    order_id = store.orders()[0]["id"]
    sandbox.faults.drop_after_rate = 1.0
    async with make_client(sandbox) as client:
        with pytest.raises(httpx.TransportError):
            await client.put(f"/orders/{order_id}", json={"trackingNumber": "LOST-ANSWER"})
    assert store.get_order(order_id)["trackingNumber"] == "LOST-ANSWER"
    assert [w.body for w in store.write_log] == [{"trackingNumber": "LOST-ANSWER"}]
    assert (sandbox.request_log[-1].status, sandbox.request_log[-1].fault) == (0, "drop_after")


async def test_throttle_bursts_answer_429_without_using_slots(sandbox: Sandbox) -> None:
    sandbox.faults.throttle_rate, sandbox.faults.throttle_retry_after = 1.0, 3
    sandbox.faults.rate_limit = 1
    async with make_client(sandbox) as client:
        for _ in range(3):
            response = await client.get("/profile")
            assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
        sandbox.faults.throttle_rate = 0.0
        assert (await client.get("/profile")).status_code == 200  # no slot was used
    assert sandbox.max_in_window() == 1


async def test_latency_spikes(sandbox: Sandbox) -> None:
    sandbox.faults.spike_rate, sandbox.faults.spike_ms = 1.0, 300
    async with make_client(sandbox) as client:
        started = time.monotonic()
        await client.get("/profile")
        assert time.monotonic() - started >= 0.3
