"""The next scheduled flow run per client, read from the Prefect server (for `status`)."""

from __future__ import annotations

from collections.abc import Set
from contextlib import aclosing
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

from deployments.listing import pages
from runtime.prefect_compat import run_sync

MAX_RUNS = 10_000  # 200 clients x 3 deployments x a few scheduled runs ahead, with room


def next_runs(clients: Set[str]) -> dict[str, datetime]:
    """`{client: expected start}` of each client's earliest Scheduled run (any of its flows),
    from the `client` parameter every deployment carries. Clients with none are left out."""
    return run_sync(_next_runs(clients))


async def _next_runs(clients: Set[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    )
    async with get_client() as prefect:

        def fetch(limit: int, offset: int):
            return prefect.read_flow_runs(
                flow_run_filter=scheduled,
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=limit,
                offset=offset,
            )

        async with aclosing(pages(fetch, max_items=MAX_RUNS)) as listing:
            async for page in listing:
                for run in page:
                    client = (run.parameters or {}).get("client")
                    when = run.expected_start_time or run.next_scheduled_start_time
                    if client in clients and client not in found and when is not None:
                        found[client] = when
                if len(found) == len(clients):
                    break
    return found
