"""The sandbox's control plane: stores, tokens, faults, the rolling-window rate limit and the
request log that tests use to prove no client exceeded the limit."""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from npf_ecwid.sandbox.core import SandboxStore

ALL_SCOPES: tuple[str, ...] = (
    "read_store_profile",
    "read_orders",
    "update_orders",
    "read_catalog",
    "update_catalog",
    "update_store_profile",  # app storage writes (the rates key)
)


@dataclass
class ScriptedFault:
    """A fault for the next `times` requests with this `method` whose store-relative path
    starts with `path` (e.g. `POST /batch`), applied after the rate limit, before the random
    faults; a test's way to hit one exact request instead of a share of them.

    - `drop_after`: run the request (writes applied), then lose its answer.
    - `status`: answer `status` with Ecwid's error body (`error_code`, `message`); `{auth}` in
      `message` becomes the request's Authorization header value (an error echoing the
      request, which our error handling must redact).
    - `short_page`: run the request, then drop the last `short_by` items of the page it
      answers (`count` lowered to match; `total` kept): a page cut short in the middle.
    """

    fault: str
    method: str = "GET"
    path: str = "/"
    times: int = 1
    status: int = 500
    error_code: str | None = None
    message: str = "Injected error"
    short_by: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and path.startswith(self.path)


@dataclass
class Faults:
    """Injected faults, read on every request, so tests may change them between calls.

    - `latency_ms`: added to every admitted request (an `asyncio.sleep`, so requests overlap);
      `spike_rate` of them wait `spike_ms` more.
    - `fail_rate`: share answered 5xx (`fail_status`, or a random 500/502/503 when None).
    - `timeout_rate`: share that hangs `hang_s` seconds (longer than any client timeout);
      the hang ends early when the client disconnects or the server shuts down.
    - `drop_rate`: share whose connection is closed mid-response before the request runs
      (over ASGI: an `httpx.RemoteProtocolError` raised into the client).
    - `drop_after_rate`: share that RUNS (writes applied, write log entry kept) and then
      loses the response the same way: the case that makes blind retries duplicate writes.
    - `rate_limit` per `rate_window` seconds per token, rolling window; above it 429 with
      `Retry-After` (whole seconds until a slot frees, >= 1). 429s do not use a slot.
    - `throttle_rate`: share answered 429 with `Retry-After: throttle_retry_after` whatever
      the window holds (Ecwid-side bursts); uses no slot.
    - `batch_pending_polls`: how many `GET /batch` polls report IN_PROGRESS before COMPLETED.
    - `scripted`: `ScriptedFault`s for exact requests, used up one match at a time.
    - `bad_token_per_minute`, `bad_token_total`, `ip_block_s`: Ecwid's block of an IP that
      keeps sending non-working tokens: "If more requests continue to come from a non-working
      token, Ecwid will block it for much longer after 20 requests per minute or a total of 600
      requests with non-working tokens per IP" (REST API overview, https://docs.ecwid.com/api-reference,
      as quoted in shared/research/ecwid-api.md; the local docs/ecwid/api-reference.md is empty).
      The docs give neither the answer nor the length of the block: here every request from the
      blocked IP, good tokens included, gets 429 `RATE_LIMITED` with `Retry-After: ip_block_s`
      for `ip_block_s` seconds (UNVERIFIED; the 429 is the documented answer of the limiter).
      A request without a valid token (unknown, revoked, missing) is a non-working one.
    Faulted requests (5xx, hang, drop) were admitted, so they count against the limit.
    """

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit: int = 600
    rate_window: float = 60.0
    fail_status: int | None = None
    hang_s: float = 300.0
    batch_pending_polls: int = 0
    drop_after_rate: float = 0.0
    throttle_rate: float = 0.0
    throttle_retry_after: int = 1
    spike_rate: float = 0.0
    spike_ms: float = 2000.0
    bad_token_per_minute: int = 20
    bad_token_total: int = 600
    ip_block_s: int = 3600
    scripted: list[ScriptedFault] = field(default_factory=list)

    def take_scripted(self, method: str, path: str) -> ScriptedFault | None:
        """The first scripted fault matching this request, with one use taken off."""
        for scripted in self.scripted:
            if scripted.matches(method, path):
                scripted.times -= 1
                return scripted
        return None


@dataclass
class RequestLogEntry:
    """One request as it arrived (monotonic `at`). `status` is None while in flight and 0 for
    a dropped connection or a hang the client gave up on; `fault` names an injected fault."""

    at: float
    token_hash: str
    method: str
    path: str
    store_id: int | None
    status: int | None = None
    fault: str | None = None


@dataclass
class TokenGrant:
    store_id: int
    scopes: frozenset[str]
    created: float = field(default_factory=time.time)


def token_hash(token: str) -> str:
    """A short stable fingerprint; the token itself is never stored in logs."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class Sandbox:
    """Stores and tokens served by one app, plus faults, rate limiting and logs."""

    def __init__(
        self,
        stores: Iterable[SandboxStore] = (),
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        self.faults = faults or Faults()
        self.clock = clock
        self.rng = random.Random(seed)
        self.request_log: list[RequestLogEntry] = []
        self._stores: dict[int, SandboxStore] = {}
        self._tokens: dict[str, TokenGrant] = {}
        self._revoked: dict[str, TokenGrant] = {}
        self._admitted: dict[str, deque[float]] = {}
        self._bad_token_times: dict[str, deque[float]] = {}  # ip -> recent non-working requests
        self._bad_token_totals: dict[str, int] = {}
        self.blocked_until: dict[str, float] = {}  # ip -> clock time the block ends
        self.batches: dict[str, Any] = {}  # ticket -> endpoints_batch.BatchRecord
        self.batch_keys: dict[tuple[int, str], str] = {}  # (store, deduplicationKey) -> ticket
        for store in stores:
            self.add_store(store)

    # --- stores and tokens ------------------------------------------------------------

    def add_store(self, store: SandboxStore) -> None:
        self._stores[store.store_id] = store

    def store(self, store_id: int) -> SandboxStore:
        return self._stores[store_id]

    def has_store(self, store_id: int) -> bool:
        return store_id in self._stores

    def add_token(self, token: str, store_id: int, scopes: Iterable[str] = ALL_SCOPES) -> None:
        self._tokens[token] = TokenGrant(store_id, frozenset(scopes))

    def revoke_token(self, token: str) -> None:
        """The merchant revoked the token (or uninstalled the app): 403 from now on."""
        grant = self._tokens.pop(token, None)
        if grant is not None:
            self._revoked[token] = grant

    def replace_token(self, old: str, new: str) -> None:
        """Issue `new` for `old`'s store and scopes (re-install, new OAuth grant); `old`, live
        or revoked, stays revoked. The new token opens the same store with the same scopes."""
        grant = self._tokens.pop(old, None) or self._revoked.pop(old, None)
        if grant is None:
            raise KeyError("no such token to replace")
        self._tokens[new] = TokenGrant(grant.store_id, grant.scopes)

    def grant(self, token: str) -> TokenGrant | None:
        return self._tokens.get(token)

    # --- rate limit -------------------------------------------------------------------

    def admit(self, token: str, now: float) -> int | None:
        """Take a slot in the token's rolling window, or return the Retry-After seconds.

        A request at `now` is admitted when fewer than `rate_limit` admitted requests of the
        same token lie in (now - rate_window, now]."""
        limit, window = self.faults.rate_limit, self.faults.rate_window
        times = self._admitted.setdefault(token_hash(token), deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            frees_at = times[len(times) - limit] + window
            return max(1, math.ceil(frees_at - now))
        times.append(now)
        return None

    # --- the IP block for non-working tokens -------------------------------------------

    def ip_block(self, ip: str, token: str, now: float) -> int | None:
        """Count a request from `ip`; the Retry-After seconds when the IP is blocked.

        A non-working token (no grant) counts towards the per-minute and the total limit;
        the request that exceeds either is the first one blocked, for `ip_block_s`."""
        until = self.blocked_until.get(ip)
        if until is not None and now < until:
            return max(1, math.ceil(until - now))
        if self.grant(token) is not None:
            return None
        f = self.faults
        times = self._bad_token_times.setdefault(ip, deque())
        while times and times[0] <= now - 60.0:
            times.popleft()
        times.append(now)
        total = self._bad_token_totals.get(ip, 0) + 1
        self._bad_token_totals[ip] = total
        if len(times) > f.bad_token_per_minute or total > f.bad_token_total:
            self.blocked_until[ip] = now + f.ip_block_s
            times.clear()
            self._bad_token_totals[ip] = 0
            return f.ip_block_s
        return None

    # --- request log ------------------------------------------------------------------

    def log_request(
        self, token: str, method: str, path: str, store_id: int | None, at: float
    ) -> RequestLogEntry:
        entry = RequestLogEntry(at, token_hash(token) if token else "", method, path, store_id)
        self.request_log.append(entry)
        return entry

    def max_in_window(self, window: float | None = None, token: str | None = None) -> int:
        """The most admitted (non-429) requests in any rolling window [t, t + window)."""
        span = self.faults.rate_window if window is None else window
        wanted = token_hash(token) if token is not None else None
        times = sorted(
            e.at
            for e in self.request_log
            if e.status != 429 and (wanted is None or e.token_hash == wanted)
        )
        best, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - span:
                start += 1
            best = max(best, end - start + 1)
        return best

    def requests_with(self, token: str, since: float | None = None) -> int:
        """How many requests arrived with `token` (any answer, blocked ones included), at or
        after clock time `since` when given."""
        wanted = token_hash(token)
        return sum(
            1
            for e in self.request_log
            if e.token_hash == wanted and (since is None or e.at >= since)
        )

    def count(
        self, status: int | None = None, method: str | None = None, path_prefix: str | None = None
    ) -> int:
        """Requests in the log matching all given criteria (path is store-relative)."""
        return sum(
            1
            for e in self.request_log
            if (status is None or e.status == status)
            and (method is None or e.method == method)
            and (path_prefix is None or e.path.startswith(path_prefix))
        )
