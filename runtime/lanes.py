"""One lane per client: at most one flow run of a client touches its Ecwid store at a time.

Why a lane and not Prefect's `rate_limit`: a blocked Prefect acquire sleeps for a server-chosen,
jittered `Retry-After` of seconds (measured 0.6 calls/s when asking for 2/s), far too coarse for
Ecwid's 600 requests/min. So the lane is a Prefect *global concurrency limit of 1* per client,
named `client-<code>`, held for the whole flow body by every flow of that client (orders, tracking,
stock, CLI runs and UI re-runs alike). Only one process at a time then talks to the client's store
with its token, and that process's own in-process sliding-window limiter
(`npf_ecwid.ecwid.ratelimit`) is the whole rate limit: exact, and not shared across processes
because nothing else uses the token meanwhile.

Guarantees:
- Two runs of any flows of the same client never overlap inside the lane; the second waits
  (up to `timeout_seconds`, then `TimeoutError` fails the run, which alerts).
- Different clients never wait for each other.
- A crashed run's slot comes back when its lease expires (`LEASE_SECONDS`); a live run renews it.
- A Prefect server that is briefly busy (5xx, e.g. SQLite "database is locked" answered as 503)
  or unreachable while the lane is taken does not fail the run: taking the lane is retried
  with backoff (`ACQUIRE_ATTEMPTS`); a lane that is simply held is waited for, not retried.
- The limit is created on first use (idempotent upsert) as well as when deployments are
  registered, so ad-hoc CLI runs are protected too.
- Re-entrant within one run: a subflow of a run that holds the lane (e.g. `sync-stock`'s final
  `sync-orders` pull) passes straight through instead of deadlocking on its own parent. "Held"
  is tracked in a context variable, which Prefect copies into subflows and task threads, so two
  unrelated runs in one process still queue.

Usage, in a flow body (sync or async flows)::

    with client_lane(client):          # or: async with client_lane(client):
        ...
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
    asynccontextmanager,
    contextmanager,
)
from contextvars import ContextVar
from typing import Any

import httpx
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from prefect.concurrency.asyncio import concurrency as async_concurrency
from prefect.concurrency.sync import concurrency as sync_concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from runtime.prefect_compat import (
    concurrency_options,
    is_missing_limit,
    is_server_hiccup,
    run_sync,
)

LANE_PREFIX = "client-"
# Prefect's minimum. A live run renews it every 45 s (Prefect renews at 3/4 of the lease); a
# SIGKILLed run's lane frees itself within a minute instead of Prefect's default five.
LEASE_SECONDS = 60.0
DEFAULT_WAIT_SECONDS = 3600.0  # a daily stock sync may hold the lane a while; then give up loudly
ACQUIRE_ATTEMPTS = 5  # ~15 s of backoff for a busy server before the run fails
# A lane this process has ensured is not checked again for this long: one GET per run less for
# the Prefect server (`serve` runs 200 clients' flows in one process). A lane deleted meanwhile
# is re-created when Prefect answers that it is missing (`prefect_compat.is_missing_limit`).
RECHECK_SECONDS = 300.0


def _acquire_retrying(name: str) -> dict[str, Any]:
    def retryable(error: BaseException) -> bool:
        # Deleted since this process ensured it (an operator freeing a crashed run's lane does
        # that): ensure it again on the next attempt.
        if is_missing_limit(error):
            _ensured_at.pop(name, None)
            return True
        return is_server_hiccup(error)

    return {
        "retry": retry_if_exception(retryable),
        "stop": stop_after_attempt(ACQUIRE_ATTEMPTS),
        "wait": wait_exponential(multiplier=0.5, max=8),
        "reraise": True,
    }


_held: ContextVar[frozenset[str]] = ContextVar("npf_held_lanes", default=frozenset())


def lane_name(client: str) -> str:
    """The global concurrency limit shared by all flows of `client`, e.g. `client-acme`."""
    return f"{LANE_PREFIX}{client.lower()}"


def ensure_lanes(clients: Iterable[str]) -> list[str]:
    """Create the lane (limit 1) of each client that has none; idempotent. Returns the names."""
    return run_sync(aensure_lanes(clients))


async def aensure_lanes(clients: Iterable[str]) -> list[str]:
    names = [lane_name(code) for code in clients]
    gate = asyncio.Semaphore(8)  # 200 clients: seconds, not minutes

    async def ensure(prefect: PrefectClient, name: str) -> None:
        async with gate:
            await _ensure_lane(prefect, name)
        _ensured_at[name] = time.monotonic()

    async with get_client() as prefect:
        await asyncio.gather(*(ensure(prefect, name) for name in names))
    return names


_ensured_at: dict[str, float] = {}  # lane -> when this process last ensured it


def _recently_ensured(name: str) -> bool:
    ensured = _ensured_at.get(name)
    return ensured is not None and time.monotonic() - ensured < RECHECK_SECONDS


async def _ensure_lane(prefect: PrefectClient, name: str) -> None:
    # Read first: the common case is one GET. Two runs may race to create the same lane (the
    # loser gets 409, or 500 from SQLite's unique constraint), so a failed create is only an
    # error if the lane still isn't there afterwards.
    try:
        limit = await prefect.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        try:
            await prefect.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=1)
            )
        except (ObjectAlreadyExists, httpx.HTTPStatusError):
            await prefect.read_global_concurrency_limit_by_name(name)
        return
    if limit.limit != 1 or not limit.active:
        await prefect.update_global_concurrency_limit(
            name, GlobalConcurrencyLimitUpdate(limit=1, active=True)
        )


class client_lane:
    """Hold the client's lane for the duration of the block (`with` or `async with`)."""

    def __init__(self, client: str, *, timeout_seconds: float | None = DEFAULT_WAIT_SECONDS):
        self.client = client
        self.name = lane_name(client)
        self.timeout_seconds = timeout_seconds
        self._sync: AbstractContextManager[None] | None = None
        self._async: AbstractAsyncContextManager[None] | None = None

    def _options(self) -> dict[str, Any]:
        # Strict (a vanished lane fails the run) and no kill on a failed lease renewal.
        return concurrency_options(
            timeout_seconds=self.timeout_seconds, lease_seconds=LEASE_SECONDS
        )

    @contextmanager
    def _hold(self) -> Iterator[None]:
        held = _held.get()
        if self.name in held:
            yield
            return
        with ExitStack() as stack:
            for attempt in Retrying(**_acquire_retrying(self.name)):
                with attempt:
                    if not _recently_ensured(self.name):
                        ensure_lanes([self.client])
                    stack.enter_context(sync_concurrency(self.name, **self._options()))
            token = _held.set(held | {self.name})
            try:
                yield
            finally:
                _held.reset(token)

    @asynccontextmanager
    async def _ahold(self) -> AsyncIterator[None]:
        held = _held.get()
        if self.name in held:
            yield
            return
        async with AsyncExitStack() as stack:
            async for attempt in AsyncRetrying(**_acquire_retrying(self.name)):
                with attempt:
                    if not _recently_ensured(self.name):
                        await aensure_lanes([self.client])
                    await stack.enter_async_context(async_concurrency(self.name, **self._options()))
            token = _held.set(held | {self.name})
            try:
                yield
            finally:
                _held.reset(token)

    def __enter__(self) -> client_lane:
        self._sync = self._hold()
        self._sync.__enter__()
        return self

    def __exit__(self, *exc: object) -> bool | None:
        assert self._sync is not None
        return self._sync.__exit__(*exc)

    async def __aenter__(self) -> client_lane:
        self._async = self._ahold()
        await self._async.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> bool | None:
        assert self._async is not None
        return await self._async.__aexit__(*exc)
