"""Plans -> Prefect runner deployments (for `serve`), and registration with the server."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterable
from typing import Any

from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from deployments.plan import FLOWS, CronSchedule, DeploymentPlan, FlowSpec
from runtime.lanes import ensure_lanes
from runtime.prefect_compat import run_sync

# A second run of the same deployment waits server-side (AwaitingConcurrencySlot) instead of
# starting a process only to wait in the client lane. The lane still covers the cross-flow case.
REGISTER_CONCURRENCY = 8
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def load_flow(spec: FlowSpec) -> Flow[..., Any]:
    """The flow object behind a spec (imports its module)."""
    module = importlib.import_module(spec.module)
    flow = getattr(module, spec.function)
    if not isinstance(flow, Flow):
        raise TypeError(f"{spec.module}.{spec.function} is not a Prefect flow")
    if flow.name != spec.name:
        raise ValueError(f"{spec.module}.{spec.function} is named {flow.name!r}, not {spec.name!r}")
    return flow


def available_flows(specs: Iterable[FlowSpec] = FLOWS) -> list[FlowSpec]:
    """The specs whose module exists in this checkout (all of them once every job is merged)."""
    found = []
    for spec in specs:
        try:
            importlib.import_module(spec.module)
        except ModuleNotFoundError as error:
            if error.name != spec.module:
                raise  # a real import error inside the flow module: let it surface
            continue
        found.append(spec)
    return found


def prefect_schedule(plan: DeploymentPlan) -> Schedule:
    if isinstance(plan.schedule, CronSchedule):
        return Cron(plan.schedule.cron, timezone=plan.schedule.timezone)
    return Interval(
        plan.schedule.every, anchor_date=plan.schedule.anchor, timezone=plan.schedule.timezone
    )


def runner_deployment(plan: DeploymentPlan, flow: Flow[..., Any] | None = None) -> RunnerDeployment:
    flow = flow or load_flow(plan.flow)
    return flow.to_deployment(
        name=plan.name,
        schedules=[prefect_schedule(plan)],
        parameters=dict(plan.parameters),
        tags=list(plan.tags),
        concurrency_limit=ONE_AT_A_TIME,
        description=f"{plan.flow.name} for client {plan.client} (npf-ecwid serve)",
        entrypoint_type=EntrypointType.MODULE_PATH,
        _sync=True,  # Prefect's async_dispatch would hand async callers a coroutine instead
    )


def runner_deployments(plans: Iterable[DeploymentPlan]) -> list[RunnerDeployment]:
    flows: dict[FlowSpec, Flow[..., Any]] = {}
    built = []
    for plan in plans:
        if plan.flow not in flows:
            flows[plan.flow] = load_flow(plan.flow)
        built.append(runner_deployment(plan, flows[plan.flow]))
    return built


def register(plans: list[DeploymentPlan]) -> list[str]:
    """Create the client lanes and apply (create or update) every deployment; returns ids.

    Registration without serving: the deployments then show in the UI, scheduled, but only a
    running `npf-ecwid serve` executes them.
    """
    ensure_lanes(sorted({plan.client for plan in plans}))
    return run_sync(_apply_all(runner_deployments(plans)))


async def _apply_all(deployments: list[RunnerDeployment]) -> list[str]:
    """A few at a time: one by one, 400 deployments (200 clients) took minutes to register."""
    gate = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def apply(deployment: RunnerDeployment) -> str:
        async with gate:
            return str(await deployment.aapply())

    return list(await asyncio.gather(*(apply(d) for d in deployments)))
