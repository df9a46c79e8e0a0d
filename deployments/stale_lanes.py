"""Free client lanes whose holder is gone for good (run by `serve` every minute).

Why: Prefect keeps concurrency leases in the server's memory by default (3.8, and still 3.9.1:
`PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE` defaults to `...lease_storage.memory`;
tests/deployments/test_prefect_compat.py notices when that changes).
If the Prefect server restarts while a run holds a client's lane, the slot stays taken in the
database but the lease that would have expired it is gone, so every later run of that client
waits for the lane until it gives up (seen in the chaos run: all three clients stalled after a
server restart until their slots were reset by hand).

A lane is stale when it is occupied while no flow run of that client is Running (flows take
the lane inside a Running run) on every check for at least `min_age_seconds`; then its slots are
reset to 0 and a warning names the client.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.logging import get_logger

from deployments.listing import every_item
from runtime.lanes import LEASE_SECONDS, lane_name

logger = get_logger("npf-ecwid.serve")


class StaleLaneJanitor:
    def __init__(self, clients: Iterable[str], *, min_age_seconds: float = 2 * LEASE_SECONDS):
        self.clients = {lane_name(code): code for code in clients}
        self.min_age_seconds = min_age_seconds
        self._stale_since: dict[str, float] = {}

    async def sweep(self, prefect: PrefectClient) -> list[str]:
        """Reset the lanes that have been stale long enough; returns their client codes."""
        occupied = await self._occupied(prefect)
        running = await self._running_clients(prefect) if occupied else set()
        now = time.monotonic()
        self._stale_since = {
            name: self._stale_since.get(name, now)
            for name in occupied
            if self.clients[name].lower() not in running
        }
        freed = []
        for name, since in list(self._stale_since.items()):
            if now - since >= self.min_age_seconds:
                await prefect.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(active_slots=0)
                )
                del self._stale_since[name]
                freed.append(self.clients[name])
                logger.warning(
                    "client %s: its lane was held by no running flow run for %.0f s "
                    "(a Prefect server restart loses leases); freed it",
                    self.clients[name],
                    now - since,
                )
        return freed

    async def _occupied(self, prefect: PrefectClient) -> list[str]:
        limits = await every_item(
            lambda limit, offset: prefect.read_global_concurrency_limits(limit=limit, offset=offset)
        )
        return [g.name for g in limits if g.name in self.clients and g.active_slots > 0]

    async def _running_clients(self, prefect: PrefectClient) -> set[str]:
        running = FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
        )
        runs = await every_item(
            lambda limit, offset: prefect.read_flow_runs(
                flow_run_filter=running, limit=limit, offset=offset, sort=FlowRunSort.ID_DESC
            )
        )
        return {str(r.parameters.get("client", "")).lower() for r in runs}
