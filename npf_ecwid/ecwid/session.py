"""One store's HTTP session: auth, the token's rate limiter, concurrency cap, retries, stats.

Everything that goes over the wire to Ecwid passes through `EcwidSession.call`, so the
limiter, the retry policy and the counters see every attempt.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import ssl
import time
from collections.abc import Callable, Generator
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidBadResponse
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter, limiter_for
from npf_ecwid.ecwid.retry import RetryPolicy, send_with_retries
from npf_ecwid.ecwid.stats import ClientStats

log = logging.getLogger("npf_ecwid.ecwid")

M = TypeVar("M")

# Called with the 401/403 error and the call (`GET /orders`) the first time Ecwid refuses the
# token; returns True when it counts as a token refusal (the session then sends nothing more).
RefusalHook = Callable[[EcwidAuthError, str], bool]

POOL_SHARD = 8  # connections per httpx client (see `EcwidSession.__init__`)


class BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer …` per request, so the token is in no client-level header,
    URL or repr (Ecwid stopped accepting `?token=` in March 2025)."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle), built once per process."""
    return httpx.create_ssl_context()


def describe_validation_error(error: ValidationError) -> str:
    from npf_ecwid.validation_text import describe_validation  # the one wording (#19.6)

    return describe_validation(error, 1, top="(body)")


def parse(target: type[M] | TypeAdapter[M], response: httpx.Response, what: str) -> M:
    """Raw JSON -> typed model, once, at the edge (pydantic's Rust JSON parser, no dict step)."""
    try:
        if isinstance(target, TypeAdapter):
            return target.validate_json(response.content)
        assert issubclass(target, BaseModel)
        return target.model_validate_json(response.content)  # type: ignore[return-value]
    except ValidationError as error:
        raise EcwidBadResponse(
            f"Ecwid sent an unreadable answer for {what} ({describe_validation_error(error)})",
            status=response.status_code,
        ) from None


class EcwidSession:
    """The transport half of `EcwidClient` (which adds the endpoints).

    `base_url` is the API root (`…/api/v3`); requests go to `{base_url}/{store_id}/…`.
    `limiter` defaults to the token's process-wide limiter (`limiter_for(token)`: 600 per
    rolling 60 s). `max_attempts`, `backoff_base`, `backoff_max` (seconds) shape the retries'
    jittered exponential backoff; tests pass small values instead of sleeping. `timeout` bounds
    each attempt as a whole. `on_refused` (see `RefusalHook`; the token breaker) hears of a
    refused token; once it says the token is refused, every further call of this session
    fails at once with that error, unsent: concurrent pages or pushes of a run stop there.
    """

    def __init__(
        self,
        *,
        base_url: str,
        store_id: int,
        token: SecretStr,
        limiter: SlidingWindowLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_concurrency: int = 32,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self.store_id = store_id
        self.on_refused = on_refused
        self._refused: EcwidAuthError | None = None
        self.base_url = f"{base_url.rstrip('/')}/{store_id}"
        self.limiter = limiter if limiter is not None else limiter_for(token)
        self.policy = RetryPolicy(max_attempts, backoff_base, backoff_max)
        self.timeout = timeout
        self.stats = ClientStats()
        self.max_concurrency = max_concurrency
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self._client_options: dict[str, Any] = {
            "base_url": self.base_url,
            "auth": BearerAuth(token),
            "transport": transport,
            "timeout": timeout,
            "headers": {"Accept": "application/json", "User-Agent": "npf-ecwid"},
            # Building a context loads the CA bundle (~40-80 ms of CPU); `serve` opens a client
            # per flow run, hundreds an hour, so all of them share one.
            "verify": shared_ssl_context(),
        }
        # Several small connection pools instead of one big one, opened as concurrency
        # grows: httpcore matches every queued request against every connection on each
        # request, so its CPU per request grows with the pool size (100,000 orders: 14.1 CPU-s
        # with one 32-connection pool, 11.0 s with 24). A caller's transport gets one client.
        self._pool_size = max_concurrency if transport is not None else POOL_SHARD
        self._max_pools = math.ceil(max_concurrency / self._pool_size)
        self._http: list[httpx.AsyncClient] = []
        self._in_flight: list[int] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store_id={self.store_id}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for http in self._http:
            await http.aclose()

    async def _request(
        self, method: str, path: str, params: dict[str, Any] | None, json: Any
    ) -> httpx.Response:
        shard = self._least_busy_pool()
        self._in_flight[shard] += 1
        try:
            return await self._http[shard].request(method, path, params=params, json=json)
        finally:
            self._in_flight[shard] -= 1

    def _least_busy_pool(self) -> int:
        if self._http:
            shard = min(range(len(self._http)), key=self._in_flight.__getitem__)
            if self._in_flight[shard] < self._pool_size or len(self._http) == self._max_pools:
                return shard
        self._http.append(
            httpx.AsyncClient(
                **self._client_options,
                # Drop idle connections before a server would (uvicorn closes them after 5 s):
                # reusing one the server is closing fails with a ReadError, which for a
                # non-idempotent write means "outcome unknown".
                limits=httpx.Limits(max_connections=self._pool_size, keepalive_expiry=2.0),
            )
        )
        self._in_flight.append(0)
        return len(self._http) - 1

    async def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one logical request under the retry policy; returns the 2xx response."""

        async def attempt() -> httpx.Response:
            async with self._concurrency:
                queued = time.monotonic()
                async with self.limiter.slot():
                    started = time.monotonic()
                    self.stats.limiter_wait_s += started - queued
                    self.stats.requests += 1
                    try:
                        # Overall deadline too: httpx's timeouts are per read, and an ASGI
                        # transport has none at all.
                        async with asyncio.timeout(self.timeout):
                            response = await self._request(method, path, params, json)
                    except (httpx.TransportError, TimeoutError) as error:
                        self.stats.transport_errors += 1
                        log.debug("Ecwid %s %s failed: %s", method, path, type(error).__name__)
                        raise
            self.stats.by_status[response.status_code] += 1
            if response.status_code == 429:
                self.stats.rate_limited += 1
            log.debug(
                "Ecwid %s %s -> %d in %.0f ms",
                method,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return response

        if self._refused is not None:
            raise type(self._refused)(
                str(self._refused),
                status=self._refused.status,
                error_code=self._refused.error_code,
                error_message=self._refused.error_message,
            )
        try:
            return await send_with_retries(
                attempt,
                what=what,
                idempotent=idempotent,
                policy=self.policy,
                pause=self.limiter.pause,
                stats=self.stats,
            )
        except EcwidAuthError as error:
            if self.on_refused is not None and self.on_refused(error, f"{method} {path}"):
                self._refused = error
            raise
