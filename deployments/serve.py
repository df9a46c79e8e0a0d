"""`npf-ecwid serve`: register every client deployment and run them on their schedules.

One long-running process: no work pool, worker or `prefect.yaml` to set up. Choices, and why:
- Runs execute in this process (`deployments.runner.InProcessRunner`, Prefect's flow engine in
  a thread pool), not one interpreter per run as `prefect.serve` does: that start-up alone
  costs ~2 CPU-s per run, and 200 clients on a 5-minute cadence is 1.33 runs/s (measured in
  `bench/capacity.py`). For more than one machine, see the README (work pools and workers).
- It needs a real Prefect server (`PREFECT_API_URL`). Without one, Prefect would start an
  ephemeral server that dies with this process, and with it the schedules and run history an
  operator relies on; so we refuse with a one-line reason instead.
- Stopping `serve` pauses its deployments, so the scheduler stops queueing runs nobody
  executes, and a restart does not fire a backlog of missed 5-minute runs at once. Restarting
  `serve` re-registers and un-pauses them; the UI shows "paused" meanwhile, which is the truth.
- Every few minutes it refreshes the `fleet-status` markdown artifact (`deployments.fleet_status`):
  the same table as `npf-ecwid status`, so the UI shows the fleet at a glance.
- It refuses to take over a deployment that a `prefect deploy` (work pool) already owns under the
  same `flow/name`: its workers would run them too. Run either `serve` or work-pool workers for
  a given Prefect server, not both.
"""

from __future__ import annotations

import asyncio
import signal
import time
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.sorting import DeploymentSort
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_CLIENT_CSRF_SUPPORT_ENABLED,
    temporary_settings,
)

from deployments.build import load_flow, register
from deployments.fleet_status import refresh_forever
from deployments.listing import every_item
from deployments.plan import DeploymentPlan
from deployments.runner import InProcessRunner
from deployments.stale_lanes import StaleLaneJanitor
from runtime.prefect_compat import csrf_disabled, run_sync, share_tls_contexts


class ServeError(RuntimeError):
    """`serve` cannot start; the message is the one line shown to the operator."""


def require_api_url() -> str:
    url = PREFECT_API_URL.value()
    if not url:
        raise ServeError(
            "PREFECT_API_URL is not set: start `prefect server start` and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (an ephemeral server would lose "
            "schedules and runs)"
        )
    return url


def pool_owned(plans: list[DeploymentPlan]) -> list[str]:
    """`flow/name` of planned deployments that a work pool already owns on the server."""
    return run_sync(_pool_owned(plans))


async def _pool_owned(plans: list[DeploymentPlan]) -> list[str]:
    wanted = {plan.full_name for plan in plans}
    async with get_client() as prefect:
        error = await prefect.api_healthcheck()
        if error is not None:  # connection refused, DNS, TLS: all mean "no server there"
            raise ServeError(
                f"Prefect server at {PREFECT_API_URL.value()} is not reachable "
                f"({type(error).__name__})"
            )
        names = DeploymentFilter(name=DeploymentFilterName(any_=sorted({p.name for p in plans})))
        existing = await every_item(
            lambda limit, offset: prefect.read_deployments(
                deployment_filter=names, limit=limit, offset=offset, sort=DeploymentSort.NAME_ASC
            )
        )
        owned = {
            f"{(await prefect.read_flow(d.flow_id)).name}/{d.name}"
            for d in existing
            if d.work_pool_name
        }
    return sorted(owned & wanted)


def server_checks_csrf() -> bool:
    """Whether the Prefect server wants CSRF tokens (off unless its operator turned it on).

    Why ask: every Prefect client object (several per flow run: the engine's, the lease
    renewal's, the log writer's...) otherwise fetches a token first and learns from the 422
    that it needs none; for 200 clients that is ~4 needless requests per run to the server,
    which is what limits how many runs one machine carries."""
    with get_client(sync_client=True) as prefect:
        try:
            prefect.request("GET", "/csrf-token", params={"client": "npf-ecwid-serve"})
        except PrefectHTTPStatusError as error:
            if csrf_disabled(error.response):
                return False
            raise
    return True


def serve_plans(plans: list[DeploymentPlan], *, limit: int = 16) -> None:
    """Block, executing scheduled and manual runs of these deployments (Ctrl-C to stop)."""
    require_api_url()
    share_tls_contexts()
    if not plans:
        raise ServeError("no deployments to serve: the clients file has no clients")
    taken = pool_owned(plans)
    if taken:
        raise ServeError(
            f"{', '.join(taken)} belong to a work pool (prefect deploy); delete them or keep "
            "using workers, don't serve the same names"
        )
    csrf = {} if server_checks_csrf() else {PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: False}
    with temporary_settings(updates=csrf):  # the runs' threads inherit this context
        _register_and_run(plans, limit)


def _register_and_run(plans: list[DeploymentPlan], limit: int) -> None:
    started = time.monotonic()
    ids = [UUID(deployment_id) for deployment_id in register(plans)]
    print(f"registered {len(ids)} deployments in {time.monotonic() - started:.1f} s", flush=True)
    flows = {
        deployment_id: load_flow(plan.flow) for deployment_id, plan in zip(ids, plans, strict=True)
    }
    janitor = StaleLaneJanitor(sorted({plan.client for plan in plans}))
    asyncio.run(_serve(InProcessRunner(flows, limit=limit, janitor=janitor)))


async def _serve(runner: InProcessRunner) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    status = asyncio.create_task(refresh_forever(stop))  # the `fleet-status` artifact
    try:
        await runner.run_forever(stop)
    finally:
        stop.set()
        await status
        async with get_client() as prefect:
            for deployment_id in runner.flows:
                await prefect.pause_deployment(deployment_id)
