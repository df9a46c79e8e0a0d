"""Which deployments exist: one per client per flow, planned from the clients file.

Pure data (no Prefect objects) so the same plan feeds `npf-ecwid serve` (runner deployments)
and `prefect.yaml` (process work-pool deployments) and can be checked without a server.

Contract:
- name = client code lowercased (`sync-orders/acme`); parameters = `{"client": CODE}` only,
  never a token (tokens are resolved inside the run from the `env:`/`secret:` reference);
- orders and tracking every `order_interval_minutes` (default 5);
- stock daily at `stock_time` in the client's `timezone` (a cron with a time zone, so the run
  stays at local 18:00 across daylight-saving changes); no stock deployment when `stock = "off"`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from npf_ecwid.config import ClientConfig, StockMode


@dataclass(frozen=True)
class FlowSpec:
    """A flow the service schedules: its Prefect name and where its function lives."""

    name: str
    module: str
    function: str
    daily: bool = False  # True: once a day at the client's stock_time (only if stock is on)

    @property
    def entrypoint(self) -> str:
        """File-path entrypoint, as `prefect.yaml` wants it."""
        return f"{self.module.replace('.', '/')}.py:{self.function}"


SYNC_ORDERS = FlowSpec("sync-orders", "flows.orders", "sync_orders")
PUSH_TRACKING = FlowSpec("push-tracking", "flows.tracking", "push_tracking")
SYNC_STOCK = FlowSpec("sync-stock", "flows.stock", "sync_stock", daily=True)
FLOWS: tuple[FlowSpec, ...] = (SYNC_ORDERS, PUSH_TRACKING, SYNC_STOCK)


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class IntervalSchedule:
    every: timedelta
    timezone: str
    anchor: datetime = field(default_factory=lambda: EPOCH)  # runs at anchor + k * every


@dataclass(frozen=True)
class CronSchedule:
    cron: str
    timezone: str


@dataclass(frozen=True)
class DeploymentPlan:
    flow: FlowSpec
    client: str
    schedule: IntervalSchedule | CronSchedule
    parameters: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.client.lower()

    @property
    def full_name(self) -> str:
        """`flow/deployment`, as `prefect deployment run` takes it."""
        return f"{self.flow.name}/{self.name}"


def schedule_for(client: ClientConfig, flow: FlowSpec) -> IntervalSchedule | CronSchedule:
    if flow.daily:
        at = client.stock_time
        return CronSchedule(cron=f"{at.minute} {at.hour} * * *", timezone=client.timezone)
    every = timedelta(minutes=client.order_interval_minutes)
    return IntervalSchedule(
        every=every, timezone=client.timezone, anchor=stagger(client.code, every, flow.name)
    )


def stagger(code: str, every: timedelta, flow: str = "") -> datetime:
    """A fixed per-client, per-flow offset into the interval, so 200 clients on a 5-minute
    cadence start spread over the 5 minutes instead of all at the same second (Prefect anchors
    every interval schedule at the same instant by default), and a client's order pull and
    tracking push do not fall due together only for one to wait on the other's lane.
    Deterministic: a hash of the code and flow name, whole seconds."""
    digest = int.from_bytes(hashlib.sha256(f"{code}/{flow}".encode()).digest()[:8], "big")
    return EPOCH + timedelta(seconds=digest % int(every.total_seconds()))


def plan_deployments(
    clients: Iterable[ClientConfig], flows: Iterable[FlowSpec] = FLOWS
) -> list[DeploymentPlan]:
    """Every deployment the service runs for these clients, in client then flow order."""
    flows = tuple(flows)
    plans = []
    for client in clients:
        for spec in flows:
            if spec.daily and client.stock == StockMode.OFF:
                continue
            plans.append(
                DeploymentPlan(
                    flow=spec,
                    client=client.code,
                    schedule=schedule_for(client, spec),
                    parameters={"client": client.code},
                    tags=("npf-ecwid", f"client:{client.code}"),
                )
            )
    return plans
