"""Start a client's order sync soon after its events, once per burst.

A checkout fires `order.created` and then `order.updated` (payment) within a second or two, and
a merchant editing orders fires many more; each client gets at most one trigger per `window`
seconds. The first event for a client arms a timer; events arriving before it fires join it
(the window is not extended, so a steady stream still syncs every `window` seconds). The
trigger is called in a worker thread, off the request path, and its failures are logged, never
raised: the interval schedule stays the safety net.

An event arriving while a trigger call is in flight arms a new timer, so an order created just
after a sync run read the order list is still picked up by the next run.

Bursts longer than the window (a merchant bulk-editing orders, an import) would still start a
run every `window` seconds, each queueing behind the last in the client's lane. So the trigger
may decline: when the client already has a run that has not started yet, that run will read
the order list after this event anyway, and a second one adds nothing
(`deployments.trigger.PrefectOrderSyncTrigger`). A trigger returns False when it declined.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger(__name__)


class OrderSyncTrigger(Protocol):
    """Starts a client's order sync run (e.g. a Prefect deployment run); returns quickly.
    Returns False when it started none because one is already waiting to start (None or True:
    started)."""

    def trigger(self, client_code: str) -> bool | None: ...


class Debouncer:
    def __init__(self, trigger: OrderSyncTrigger, window: float = 2.0) -> None:
        self.trigger = trigger
        self.window = window
        self._armed: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.started = 0
        self.declined = 0

    def submit(self, client_code: str) -> bool:
        """Note an event for `client_code`; True if it armed a new trigger, False if it joined one.

        Must be called from the event loop (the request handler)."""
        if client_code in self._armed:
            return False
        fire_now = asyncio.Event()
        self._armed[client_code] = fire_now
        task = asyncio.get_running_loop().create_task(self._fire_later(client_code, fire_now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    @property
    def armed(self) -> list[str]:
        return list(self._armed)

    async def _fire_later(self, client_code: str, fire_now: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(fire_now.wait(), self.window)
        except TimeoutError:
            pass
        finally:
            self._armed.pop(client_code, None)
        try:
            started = await asyncio.to_thread(self.trigger.trigger, client_code)
        except Exception:
            log.exception("could not trigger the order sync for %s", client_code)
            return
        if started is False:
            self.declined += 1
            log.info("order sync for %s already waiting to start; none added", client_code)
        else:
            self.started += 1
            log.info("order sync triggered for %s", client_code)

    async def flush(self) -> None:
        """Fire every armed trigger now and wait for all trigger calls to finish."""
        for fire_now in list(self._armed.values()):
            fire_now.set()
        await self.drain()

    async def drain(self) -> None:
        """Wait until no trigger is armed or in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel armed triggers (at shutdown: the schedule picks those orders up)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._armed.clear()
