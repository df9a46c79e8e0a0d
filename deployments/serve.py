"""`npf-ecwid serve`: register every client deployment and run them on their schedules.

One long-running process (`prefect.serve`): no work pool, worker or `prefect.yaml` to set up.
Choices, and why:
- It needs a real Prefect server (`PREFECT_API_URL`). Without one, Prefect would start an
  ephemeral server that dies with this process, and with it the schedules and run history an
  operator relies on; so we refuse with a one-line reason instead.
- `pause_on_shutdown=True` (Prefect's default): stopping `serve` pauses its deployments, so the
  scheduler stops queueing runs nobody executes, and a restart does not fire a backlog of missed
  5-minute runs at once. Restarting `serve` re-registers and un-pauses them; the UI shows
  "paused" meanwhile, which is the truth.
- It refuses to take over a deployment that a `prefect deploy` (work pool) already owns under the
  same `flow/name`: Prefect would keep the pool but drop its pull steps and the run would crash
  (measured). Run either `serve` or work-pool workers for a given Prefect server, not both.
"""

from __future__ import annotations

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL

from deployments.build import runner_deployments
from deployments.plan import DeploymentPlan
from flows.lanes import ensure_lanes


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
    wanted = {plan.full_name for plan in plans}
    with get_client(sync_client=True) as prefect:
        error = prefect.api_healthcheck()
        if error is not None:  # connection refused, DNS, TLS: all mean "no server there"
            raise ServeError(
                f"Prefect server at {PREFECT_API_URL.value()} is not reachable "
                f"({type(error).__name__})"
            )
        existing = prefect.read_deployments(
            deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=sorted({p.name for p in plans}))
            )
        )
        flow_names = {flow.id: flow.name for flow in prefect.read_flows()}
    return sorted(
        f"{flow_names.get(d.flow_id, '?')}/{d.name}"
        for d in existing
        if d.work_pool_name and f"{flow_names.get(d.flow_id, '?')}/{d.name}" in wanted
    )


def serve_plans(plans: list[DeploymentPlan], *, limit: int | None = None) -> None:
    """Block, executing scheduled and manual runs of these deployments (Ctrl-C to stop)."""
    require_api_url()
    if not plans:
        raise ServeError("no deployments to serve: the clients file has no clients")
    taken = pool_owned(plans)
    if taken:
        raise ServeError(
            f"{', '.join(taken)} belong to a work pool (prefect deploy); delete them or keep "
            "using workers, don't serve the same names"
        )
    ensure_lanes(sorted({plan.client for plan in plans}))
    serve(*runner_deployments(plans), limit=limit, pause_on_shutdown=True)
