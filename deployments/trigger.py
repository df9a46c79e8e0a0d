"""The real order-sync trigger for webhooks: start the client's `sync-orders` deployment now,
unless one of its runs is already waiting to start.

Lives outside `npf_ecwid` because it imports Prefect (the library never does). `timeout=0`
creates the flow run and returns at once; the client's worker/serve process runs it. A missing
deployment or an unreachable Prefect API raises, and the webhook debouncer logs it; the
interval schedule remains the safety net.

Why "waiting" declines (issue #18 item 5): a burst of webhooks longer than the debounce window
would otherwise add a run every window (2 s), all queueing in the client's lane. A run that
has not started yet will read the order list after every event that arrives before it starts,
so a second one adds nothing. Waiting = Scheduled or Pending and due within `due_within`
seconds: the interval schedule's runs created ahead for later times do not count, a Late one
(Scheduled, due in the past) does. A Running run does count as no cover: it may have read the
orders before this event, so the trigger starts one more (at most one waits, then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment


def deployment_name(client_code: str) -> str:
    """`sync-orders/<client code lowercased>`, the agreed deployment naming."""
    return f"sync-orders/{client_code.lower()}"


class PrefectOrderSyncTrigger:
    """`OrderSyncTrigger` backed by `prefect.deployments.run_deployment` (call off the loop)."""

    def __init__(self, due_within: float = 60.0) -> None:
        self.due_within = due_within

    def waiting_run(self, client_code: str) -> bool:
        """True when the client's order-sync deployment has a run due soon, not started."""
        with get_client(sync_client=True) as prefect:
            deployment = prefect.read_deployment_by_name(deployment_name(client_code))
            due = datetime.now(UTC) + timedelta(seconds=self.due_within)
            runs = prefect.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
                    ),
                    expected_start_time=FlowRunFilterExpectedStartTime(before_=due),
                ),
                limit=1,
            )
        return bool(runs)

    def trigger(self, client_code: str) -> bool:
        """Start a run now; False (nothing started) when one is already waiting to start."""
        if self.waiting_run(client_code):
            return False
        run_deployment(name=deployment_name(client_code), timeout=0)
        return True
