"""Running the public app under uvicorn with connection limits that hold under abuse.

What uvicorn gives (set in `server_config`): `timeout_keep_alive` (idle time between requests
on a kept-alive connection), `limit_concurrency` (503 beyond it), `backlog`, and
`h11_max_incomplete_event_size` (the largest request head). What it lacks, added here:
- a request-head timeout: uvicorn waits for ever for the first request on a new connection,
  or for a head sent one byte at a time, so `GuardedH11Protocol` closes a connection whose
  request head is not complete `head_timeout` seconds after it opened (or after the previous
  response);
- a connection budget below the process's file-descriptor limit: past `max_connections` a
  new connection closes the connection that has waited longest without a request in flight,
  so idle sockets can never use up the descriptors `/healthz` and real requests need. Without
  this, 300 idle sockets against a 256-descriptor limit stopped all accepts;
- a body timeout: in the ASGI layer, `body_guard.BodyGuard`.
Repeated warnings (asyncio's "socket.accept() out of system resource", uvicorn's "Invalid
HTTP request") are rate-limited with `logfilter.limit_repeats`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from npf_ecwid.logfilter import limit_repeats

log = logging.getLogger(__name__)

FD_RESERVE = 16  # descriptors kept for the database, log files, outbound HTTP (Prefect)


@dataclass(frozen=True)
class Limits:
    head_timeout: float = 5.0  # the body deadline is the app's (create_app's body_timeout)
    keep_alive: int = 5
    max_connections: int = 0  # 0: what the open-file limit leaves (`connection_budget`)
    max_head_bytes: int = 16_384
    backlog: int = 32

    def connection_budget(self) -> int:
        """Connections the descriptor limit allows, call once the app is built: the soft
        RLIMIT_NOFILE minus descriptors open now, minus FD_RESERVE, minus 4 x backlog because
        asyncio accepts up to `backlog` sockets per loop pass before an evicted connection's
        descriptor is actually freed (a pass or two later). At most 4096, at least 8."""
        if self.max_connections > 0:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 4096
        try:
            open_now = len(os.listdir("/proc/self/fd"))
        except OSError:  # no /proc (macOS): assume a typical start-up count
            open_now = 64
        return max(8, min(4096, soft - open_now - FD_RESERVE - 4 * self.backlog))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a request-head timeout and idle-connection eviction.

    Relies on uvicorn's documented extension point (`Config(http=<protocol class>)`) and on
    three attributes of `H11Protocol`: `connections` (shared by all connections of a server),
    `cycle` (the request in flight) and `transport`.
    """

    head_timeout: float = 5.0
    max_connections: int = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._idle_since = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()
        if len(self.connections) > self.max_connections:
            self._evict_one_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a complete request head arrived
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        self._arm_head_timer()  # the next request's head must come in time too
        super().on_response_complete()

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._idle_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._idle() and not self.transport.is_closing():
            log.info("closing a connection: no complete request in %g s", self.head_timeout)
            self.transport.close()

    def _evict_one_idle(self) -> None:
        idle = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c._idle()]
        idle = [c for c in idle if c is not self and not c.transport.is_closing()]
        if not idle:
            return  # every connection has a request in flight: limit_concurrency answers 503
        oldest = min(idle, key=lambda c: c._idle_since)
        log.warning("over %d connections: closing the longest-idle one", self.max_connections)
        oldest.transport.close()


def server_config(
    app: Any, *, host: str, port: int, limits: Limits | None = None
) -> uvicorn.Config:
    """The uvicorn config `shipping serve` runs (tests start the same one)."""
    limits = limits or Limits()
    budget = limits.connection_budget()
    protocol = type(
        "ShippingH11Protocol",
        (GuardedH11Protocol,),
        {"head_timeout": limits.head_timeout, "max_connections": budget},
    )
    limit_repeats(
        [
            "asyncio",
            "uvicorn.error",
            __name__,
            "npf_ecwid.shipping.body_guard",
            "npf_ecwid.shipping.service",
        ]
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        log_level="info",
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=budget + 1,  # eviction keeps connections <= budget; tasks past it 503
        backlog=limits.backlog,
        h11_max_incomplete_event_size=limits.max_head_bytes,
        timeout_graceful_shutdown=5,
    )
