"""The sliding-window limiter: no rolling window at the server ever holds more than `limit`."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest
from pydantic import SecretStr

from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter, limiter_for, reset_limiters, token_key


def busiest_window(arrivals: list[float], window: float) -> int:
    arrivals = sorted(arrivals)
    best, start = 0, 0
    for end, at in enumerate(arrivals):
        while arrivals[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def simulated_calls(
    limiter: SlidingWindowLimiter, calls: int, callers: int, rng: random.Random
) -> list[float]:
    """`callers` tasks share `calls`; each request reaches the 'server' at a random moment
    between send and response (network jitter), which is what the server counts."""
    arrivals: list[float] = []
    queue = list(range(calls))

    async def caller() -> None:
        while queue:
            queue.pop()
            async with limiter.slot():
                up, down = rng.uniform(0, 0.03), rng.uniform(0, 0.03)
                await asyncio.sleep(up)
                arrivals.append(time.monotonic())
                await asyncio.sleep(down)

    await asyncio.gather(*(caller() for _ in range(callers)))
    return arrivals


async def test_no_rolling_window_exceeds_limit_despite_jitter() -> None:
    limiter = SlidingWindowLimiter(limit=10, window=0.25)
    arrivals = await simulated_calls(limiter, calls=45, callers=8, rng=random.Random(7))
    assert len(arrivals) == 45
    assert busiest_window(arrivals, 0.25) == 10  # full use of the limit, never more


async def test_throughput_is_what_the_limit_allows() -> None:
    limiter = SlidingWindowLimiter(limit=10, window=0.2)
    started = time.monotonic()
    await simulated_calls(limiter, calls=30, callers=6, rng=random.Random(1))
    elapsed = time.monotonic() - started
    # 30 calls at 10 per 0.2 s: calls 21-30 cannot start before 0.4 s (+ up to 3 round trips).
    assert 0.4 <= elapsed < 0.4 + 3 * 0.06 + 0.1


async def test_pause_holds_every_caller() -> None:
    limiter = SlidingWindowLimiter(limit=100, window=1.0)
    limiter.pause(0.2)
    started = time.monotonic()

    async def one() -> float:
        async with limiter.slot():
            return time.monotonic() - started

    waits = await asyncio.gather(*(one() for _ in range(5)))
    assert min(waits) >= 0.2
    limiter.pause(0.01)  # a shorter pause never shortens the one in force
    assert limiter.held == 5


def test_one_limiter_shared_across_event_loops_in_threads() -> None:
    limiter = SlidingWindowLimiter(limit=8, window=0.2)
    arrivals: list[list[float]] = []

    def run(seed: int) -> None:
        arrivals.append(asyncio.run(simulated_calls(limiter, 20, 4, random.Random(seed))))

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    merged = [at for part in arrivals for at in part]
    assert len(merged) == 40
    assert busiest_window(merged, 0.2) <= 8


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = SlidingWindowLimiter(limit=1, window=0.1)
    async with limiter.slot():
        waiter = asyncio.create_task(limiter.slot().__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert limiter.held == 1  # only the finished request, cooling down
    async with limiter.slot():  # and it frees after the window
        assert limiter.held == 1


def test_limiter_for_is_one_per_token_and_keyed_without_the_token() -> None:
    reset_limiters()
    token = SecretStr("secret_abc123")
    first = limiter_for(token, 60, 6.0)
    assert limiter_for(SecretStr("secret_abc123"), 60, 6.0) is first
    assert limiter_for(SecretStr("secret_other"), 60, 6.0) is not first
    with pytest.raises(ValueError, match="already has a limiter") as raised:
        limiter_for(token, 600, 60.0)
    assert "secret_abc123" not in str(raised.value)
    assert "secret_abc123" not in token_key(token)
    assert "secret_abc123" not in repr(first)
    reset_limiters()


async def test_saturated_while_every_slot_is_held_or_cooling_or_paused() -> None:
    """The pull parses pages already read only while `saturated` (nothing could be sent)."""
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=2, window=10.0, clock=lambda: now[0])
    assert not limiter.saturated
    async with limiter.slot():
        assert not limiter.saturated  # one in flight, one free
        async with limiter.slot():
            assert limiter.saturated  # both in flight
    assert limiter.saturated  # both cooling down for the window
    now[0] = 10.0
    assert not limiter.saturated  # the window passed: both free again
    limiter.pause(5.0)
    assert limiter.saturated  # told off by a 429
    now[0] = 15.0
    assert not limiter.saturated
