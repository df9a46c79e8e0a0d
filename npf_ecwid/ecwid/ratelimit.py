"""A per-token sliding-window limiter: Ecwid never sees more than `limit` requests in any
rolling `window` seconds, however many tasks share the token.

Why home-made: aiolimiter is a leaky bucket (a burst of `limit` plus `limit` more within one
window, i.e. up to 2x in a rolling window) and pyrate-limiter cannot release on response.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pydantic import SecretStr


class SlidingWindowLimiter:
    """At most `limit` requests per rolling `window` seconds, as the *server* counts them.

    How it holds even with network jitter: a slot is taken just before a request is sent and is
    freed only `window` seconds after its response arrived. The server sees a request at some
    moment between our send and our receipt of the answer, so if request B reuses the slot of
    request A, B arrives at least `window` after A arrived. Hence at any moment at most `limit`
    slots are held and no rolling window at the server can contain `limit + 1` arrivals.
    The price is one round trip per slot cycle (throughput `limit / (window + latency)`), a few
    percent at Ecwid's 600/60 s.

    `pause(seconds)` (a 429's `Retry-After`) stops every caller of this limiter, not just the
    one that was told off.

    Thread- and loop-safe: state sits behind a `threading.Lock`, waiters are futures woken on
    their own loop, so one limiter per token can serve Prefect tasks on different loops.
    """

    def __init__(
        self, limit: int = 600, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._cooling: list[float] = []  # heap: when each finished request's slot frees up
        self._paused_until = 0.0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def __repr__(self) -> str:
        return f"SlidingWindowLimiter(limit={self.limit}, window={self.window})"

    @property
    def held(self) -> int:
        """Slots in use now: requests in flight plus finished ones still cooling down."""
        with self._lock:
            self._expire(self._clock())
            return self._in_flight + len(self._cooling)

    @property
    def saturated(self) -> bool:
        """No request could be sent now (every slot held, or paused): a caller with spare
        CPU work (parsing pages already read) can do it now without delaying any request."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            return now < self._paused_until or self._in_flight + len(self._cooling) >= self.limit

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot around sending a request and reading its response."""
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (never shortens a pause already in force)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._wake_all()

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                now = self._clock()
                self._expire(now)
                if now >= self._paused_until and self._in_flight + len(self._cooling) < self.limit:
                    self._in_flight += 1
                    return
                if now < self._paused_until:
                    wake_at: float | None = self._paused_until
                else:  # full: the earliest cooling slot frees up first; in-flight ones wake us
                    wake_at = self._cooling[0] if self._cooling else None
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            timeout = None if wake_at is None else max(0.0, wake_at - now)
            try:
                await asyncio.wait([waiter], timeout=timeout)
            finally:
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            heapq.heappush(self._cooling, self._clock() + self.window)
        # The freed slot has a known expiry now; waiters that had none must re-plan.
        self._wake_all()

    def _expire(self, now: float) -> None:
        while self._cooling and self._cooling[0] <= now:
            heapq.heappop(self._cooling)

    def _wake_all(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            # A closed loop raises RuntimeError: nobody is waiting there any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_done, waiter)


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


_registry: dict[str, SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def token_key(token: SecretStr) -> str:
    """A short, non-reversible name for a token (registry key, safe to log)."""
    return hashlib.sha256(token.get_secret_value().encode()).hexdigest()[:16]


def limiter_for(token: SecretStr, limit: int = 600, window: float = 60.0) -> SlidingWindowLimiter:
    """The one limiter for `token` in this process (created on first use).

    Asking again with another limit/window is a mistake (two limiters would let the token
    exceed Ecwid's limit), so it raises `ValueError`.
    """
    key = token_key(token)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = SlidingWindowLimiter(limit, window)
        elif (limiter.limit, limiter.window) != (limit, window):
            raise ValueError(
                f"token {key} already has a limiter of {limiter.limit}/{limiter.window}s; "
                f"asked for {limit}/{window}s"
            )
        return limiter


def reset_limiters() -> None:
    """Forget every token's limiter (tests whose fresh sandbox starts its own count)."""
    with _registry_lock:
        _registry.clear()
