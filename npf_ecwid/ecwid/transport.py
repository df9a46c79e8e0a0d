"""The HTTP layer under `EcwidClient`, as httpx transports that wrap one another.

    EcwidClient -> httpx.AsyncClient (base URL, BearerAuth, headers)
        -> RetryTransport    the retry table (`retry.py`), one logical request
        -> LimitedTransport  concurrency cap, the token's limiter slot, deadline, stats: per attempt
        -> ShardedTransport  several small connection pools (or a caller's transport: the
                             sandbox's ASGI app in tests)

Modelled on httpx's own port and adapters (`httpx._transports.base.AsyncBaseTransport`,
`AsyncHTTPTransport`, `MockTransport`): each layer is an `AsyncBaseTransport` holding the next
one, so the client composes them and a test can put any real transport at the bottom.

What a layer must know about a request travels with it as a request extension, set by the
endpoint method that knows the call (`request_extensions`): `IDEMPOTENT` (may it be re-sent
after an answer that may hide an applied write? a `quantityDelta` PUT must never be; a batch
POST is, with its deduplicationKey) and `WHAT` (the call's name in errors and logs).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import ssl
import time
import urllib.request
from typing import Any

import httpx

from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.ecwid.retry import RetryPolicy, send_with_retries
from npf_ecwid.ecwid.stats import ClientStats

log = logging.getLogger("npf_ecwid.ecwid")

IDEMPOTENT = "npf_ecwid.idempotent"  # bool; absent: by method (RFC 9110 section 9.2.2)
WHAT = "npf_ecwid.what"  # str, e.g. "order ACME-1"; absent: "GET /api/v3/1003/orders"

POOL_SHARD = 8  # connections per pool (see `ShardedTransport`)
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle), built once per process."""
    return httpx.create_ssl_context()


def request_extensions(*, what: str, idempotent: bool) -> dict[str, Any]:
    """The extensions an endpoint method sets on its request (read by the layers below)."""
    return {WHAT: what, IDEMPOTENT: idempotent}


def is_idempotent(request: httpx.Request) -> bool:
    flag = request.extensions.get(IDEMPOTENT)
    return request.method in _IDEMPOTENT_METHODS if flag is None else bool(flag)


def what_of(request: httpx.Request) -> str:
    return str(request.extensions.get(WHAT) or f"{request.method} {request.url.path}")


class RetryTransport(httpx.AsyncBaseTransport):
    """Sends each request under the retry policy (`retry.py`'s table): returns a 2xx (or 3xx)
    response, or raises the typed `EcwidError` the table names. A 429 pauses `limiter` for its
    `Retry-After`, so every caller of the token waits, not only this one."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        policy: RetryPolicy,
        limiter: SlidingWindowLimiter,
        stats: ClientStats,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.limiter = limiter
        self.stats = stats

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await send_with_retries(
            lambda: self.inner.handle_async_request(request),
            what=what_of(request),
            idempotent=is_idempotent(request),
            policy=self.policy,
            pause=self.limiter.pause,
            stats=self.stats,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class LimitedTransport(httpx.AsyncBaseTransport):
    """One attempt: at most `max_concurrency` in flight, a slot of the token's limiter held
    from sending until the answer is read (`SlidingWindowLimiter`), the whole attempt bounded
    by `timeout` seconds (httpx's timeouts are per read, and an ASGI transport has none at
    all), and every attempt counted in `stats`. Returns the response already read."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: SlidingWindowLimiter,
        stats: ClientStats,
        timeout: float,
        max_concurrency: int,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.stats = stats
        self.timeout = timeout
        self._concurrency = asyncio.Semaphore(max_concurrency)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stats = self.stats
        async with self._concurrency:
            queued = time.monotonic()
            async with self.limiter.slot():
                started = time.monotonic()
                stats.limiter_wait_s += started - queued
                stats.requests += 1
                try:
                    async with asyncio.timeout(self.timeout):
                        response = await self.inner.handle_async_request(request)
                        try:
                            await response.aread()  # inside the slot: it frees once read
                        finally:
                            await response.aclose()
                except (httpx.TransportError, TimeoutError) as error:
                    stats.transport_errors += 1
                    log.debug(
                        "Ecwid %s %s failed: %s",
                        request.method,
                        request.url.path,
                        type(error).__name__,
                    )
                    raise
        stats.by_status[response.status_code] += 1
        if response.status_code == 429:
            stats.rate_limited += 1
        log.debug(
            "Ecwid %s %s -> %d in %.0f ms",
            request.method,
            request.url.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small connection pools instead of one big one, opened as concurrency grows:
    httpcore matches every queued request against every connection on each request, so its
    CPU per request grows with the pool size (100,000 orders: 14.1 CPU-s with one
    32-connection pool, 11.0 s with 24). Each request goes to the least busy pool.

    `proxy`: where the pools connect through (`proxy_from_environment`), as the httpx client
    would have done from `HTTPS_PROXY`/`NO_PROXY` had it built its own transport."""

    def __init__(
        self, max_connections: int, *, pool_size: int = POOL_SHARD, proxy: str | None = None
    ) -> None:
        self._pool_size = pool_size
        self._max_pools = math.ceil(max_connections / pool_size)
        self._proxy = proxy
        self._pools: list[httpx.AsyncHTTPTransport] = []
        self._in_flight: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = self._least_busy_pool()
        self._in_flight[shard] += 1
        try:
            return await self._pools[shard].handle_async_request(request)
        finally:
            self._in_flight[shard] -= 1

    def _least_busy_pool(self) -> int:
        if self._pools:
            shard = min(range(len(self._pools)), key=self._in_flight.__getitem__)
            if self._in_flight[shard] < self._pool_size or len(self._pools) == self._max_pools:
                return shard
        self._pools.append(
            httpx.AsyncHTTPTransport(
                # Building a context loads the CA bundle (~40-80 ms of CPU); `serve` opens a
                # client per flow run, hundreds an hour, so all of them share one.
                verify=shared_ssl_context(),
                # Drop idle connections before a server would (uvicorn closes them after 5 s):
                # reusing one the server is closing fails with a ReadError, which for a
                # non-idempotent write means "outcome unknown".
                limits=httpx.Limits(max_connections=self._pool_size, keepalive_expiry=2.0),
                proxy=self._proxy,
            )
        )
        self._in_flight.append(0)
        return len(self._pools) - 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


def proxy_from_environment(url: str) -> str | None:
    """The proxy the environment names for `url` (`HTTPS_PROXY` etc., unless `NO_PROXY`
    covers its host); None for a direct connection."""
    target = httpx.URL(url)
    if urllib.request.proxy_bypass(target.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(target.scheme) or proxies.get("all")


def ecwid_transport(
    *,
    base_url: str,
    limiter: SlidingWindowLimiter,
    stats: ClientStats,
    policy: RetryPolicy,
    timeout: float,
    max_concurrency: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RetryTransport:
    """The stack above, over `transport` (tests: the sandbox's ASGI app) or, by default, the
    sharded pools to `base_url`."""
    wire = transport or ShardedTransport(max_concurrency, proxy=proxy_from_environment(base_url))
    limited = LimitedTransport(
        wire, limiter=limiter, stats=stats, timeout=timeout, max_concurrency=max_concurrency
    )
    return RetryTransport(limited, policy=policy, limiter=limiter, stats=stats)
