"""Execute our deployments' runs inside one long-lived process: what `npf-ecwid serve` runs.

Why not Prefect's own runner (`prefect.serve`): it starts a fresh interpreter per flow run, and
importing Python + Prefect + our flows costs ~2 CPU-seconds before any work. 200 clients at a
5-minute order + tracking cadence is 1.33 runs/s, which would need ~3 cores for imports alone
(measured: 7.8 CPU-s per run including the Prefect server, against 0.9 CPU-s for the same run
executed in an already-warm process; `bench/capacity.py`, docs/benchmarks.md).

So this runner imports the flows once and executes each due run with Prefect's own flow engine
(`prefect.flow_engine.run_flow`, via `runtime.prefect_compat`) in a thread pool. Everything an
operator sees stays Prefect's: states, logs, artifacts, retries of tasks, deployment
concurrency, Retry from the UI.

Guarantees:
- A run is claimed with a Pending proposal before it starts; the server accepts one claim, so
  two `serve` processes (or a work-pool worker) never execute the same run twice.
- At most `limit` runs at once, and one per client; due runs beyond that stay Scheduled for the
  next poll (or for another runner) instead of being claimed and left waiting in a thread.
- Each claimed run records `host:pid` as its infrastructure pid. A run left Pending/Running by
  a `serve` process on this host that is no longer alive (killed, machine restarted) is marked
  Crashed when the next `serve` starts, so the UI never shows a run as running forever.
- Stopping (Ctrl-C, SIGTERM) stops claiming and waits for the runs in progress to finish.
- With a `janitor`, client lanes left taken by a Prefect server restart are freed
  (`deployments.stale_lanes`).

Not supported, by design: hard-cancelling a run from the UI (a thread cannot be killed); the
run finishes its current step and its outcome is recorded. Runs are short and idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import socket
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.logging import get_logger
from prefect.states import Crashed

from deployments.listing import every_item
from deployments.stale_lanes import StaleLaneJanitor
from runtime.prefect_compat import claim_pending, run_flow_to_state

logger = get_logger("npf-ecwid.serve")

UNFINISHED = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local_process(infrastructure_pid: str | None) -> bool:
    """True when `host:pid` names a process on this host that no longer exists."""
    host, _, pid = (infrastructure_pid or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class InProcessRunner:
    """Poll the server for due runs of `flows` (deployment id -> flow) and execute them here."""

    def __init__(
        self,
        flows: Mapping[UUID, Flow[..., Any]],
        *,
        limit: int = 16,
        # Each poll also makes the server mark every deployment ready (a write per deployment,
        # 400 for 200 clients): every 5 s, a run starts at most ~5 s after it is due.
        poll_seconds: float = 5.0,
        janitor: StaleLaneJanitor | None = None,
        janitor_seconds: float = 60.0,
    ) -> None:
        self.flows = dict(flows)
        self.limit = limit
        self.poll_seconds = poll_seconds
        self.janitor = janitor
        self.janitor_seconds = janitor_seconds
        self.identity = this_process()
        self._pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="npf-run")
        self._active: dict[UUID, tuple[str | None, asyncio.Task[None]]] = {}  # run -> client, task

    async def run_once(self) -> list[UUID]:
        """Claim every due run (up to the limit) and wait until they have finished."""
        async with get_client() as prefect:
            claimed = await self._claim_due(prefect)
        await self._drain()
        return claimed

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Sweep crashed leftovers, then poll until `stop` is set; then finish the runs."""
        async with get_client() as prefect:
            await self.sweep_orphans(prefect)
            swept_at = time.monotonic()
            while not stop.is_set():
                try:
                    await self._claim_due(prefect)
                    if self.janitor and time.monotonic() - swept_at >= self.janitor_seconds:
                        swept_at = time.monotonic()
                        await self.janitor.sweep(prefect)
                except Exception as error:  # a busy or restarting server: try again next poll
                    logger.warning("polling the Prefect server failed: %s", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        await self._drain()

    async def sweep_orphans(self, prefect: PrefectClient) -> list[UUID]:
        """Mark Crashed the unfinished runs whose `serve` process on this host is gone."""
        unfinished = FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=UNFINISHED))
        )
        ours = DeploymentFilter(id=DeploymentFilterId(any_=list(self.flows)))
        # The whole listing first, then the changes: a run marked Crashed leaves the filter,
        # which would shift the offsets of a listing read while sweeping.
        runs = await every_item(
            lambda limit, offset: prefect.read_flow_runs(
                flow_run_filter=unfinished,
                deployment_filter=ours,
                limit=limit,
                offset=offset,
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            )
        )
        swept: list[UUID] = []
        for run in runs:
            if not is_dead_local_process(run.infrastructure_pid):
                continue
            await prefect.set_flow_run_state(
                run.id,
                Crashed(message=f"npf-ecwid serve ({run.infrastructure_pid}) stopped mid-run"),
                force=True,
            )
            swept.append(run.id)
        if swept:
            logger.warning("marked %d runs of a stopped serve process as Crashed", len(swept))
        return swept

    async def _claim_due(self, prefect: PrefectClient) -> list[UUID]:
        self._forget_finished()
        free = self.limit - len(self._active)
        if free <= 0:
            return []
        due = await prefect.get_scheduled_flow_runs_for_deployments(
            deployment_ids=list(self.flows), scheduled_before=datetime.now(UTC)
        )
        due.sort(key=lambda run: run.next_scheduled_start_time or run.expected_start_time)
        claimed = []
        busy = {client for client, _ in self._active.values()} - {None}
        for run in due:
            if len(claimed) >= free:
                break
            # A second run of a client we are running would only wait in the client's lane,
            # holding a thread that a run of another client could use: leave it for later.
            client = self._client_of(run)
            if run.id in self._active or client in busy or not await self._claim(prefect, run):
                continue
            busy.add(client)
            self._active[run.id] = (client, asyncio.create_task(self._execute(run)))
            claimed.append(run.id)
        return claimed

    @staticmethod
    def _client_of(run: FlowRun) -> str | None:
        client = run.parameters.get("client")
        return str(client).lower() if client is not None else None

    async def _claim(self, prefect: PrefectClient, run: FlowRun) -> bool:
        # Not: another runner took it, it was cancelled or deleted meanwhile, or its
        # deployment's concurrency slot is taken.
        if not await claim_pending(prefect, run.id):
            return False
        await prefect.update_flow_run(run.id, infrastructure_pid=self.identity)
        return True

    async def _execute(self, run: FlowRun) -> None:
        flow = self.flows[run.deployment_id]  # type: ignore[index]
        # The thread gets this context: Prefect's settings (API URL) travel in context variables.
        call = contextvars.copy_context().run
        loop = asyncio.get_running_loop()
        logger.info("starting %s (%s)", run.name, run.id)
        try:
            state = await loop.run_in_executor(
                self._pool, call, lambda: run_flow_to_state(flow, run)
            )
            logger.info("%s finished: %s", run.name, getattr(state, "name", state))
        except BaseException as error:  # the engine itself failed: say so in the UI
            logger.exception("flow run %s (%s) crashed in the engine", run.name, run.id)
            async with get_client() as prefect:
                await prefect.set_flow_run_state(
                    run.id, Crashed(message=f"engine error: {type(error).__name__}"), force=True
                )

    def _forget_finished(self) -> None:
        for run_id in [i for i, (_, task) in self._active.items() if task.done()]:
            del self._active[run_id]

    async def _drain(self) -> None:
        if self._active:
            tasks = [task for _, task in self._active.values()]
            await asyncio.gather(*tasks, return_exceptions=True)
        self._forget_finished()
