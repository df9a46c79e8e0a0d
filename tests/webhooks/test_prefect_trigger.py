"""`deployments.trigger.PrefectOrderSyncTrigger` against the session's real Prefect server."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from prefect.states import Running

from deployments.trigger import PrefectOrderSyncTrigger, deployment_name

from .sync_orders_probe import sync_orders_probe

pytestmark = pytest.mark.prefect


def test_deployment_name_is_the_lowercased_client_code() -> None:
    assert deployment_name("WebhookProbe") == "sync-orders/webhookprobe"


def test_trigger_creates_one_scheduled_run_of_the_clients_deployment(prefect_server) -> None:
    deployment_id = sync_orders_probe.to_deployment(
        name="webhookprobe", parameters={"client": "WebhookProbe"}
    ).apply()

    PrefectOrderSyncTrigger().trigger("WebhookProbe")  # returns without waiting for the run

    with get_client(sync_client=True) as prefect:
        runs = prefect.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            sort=FlowRunSort.ID_DESC,
            limit=10,
        )
    assert len(runs) == 1
    assert runs[0].parameters == {"client": "WebhookProbe"}
    assert runs[0].state is not None and runs[0].state.is_scheduled()


def test_trigger_for_a_client_without_a_deployment_raises(prefect_server) -> None:
    # the debouncer logs this; the interval schedule remains the safety net
    with pytest.raises(ObjectNotFound):
        PrefectOrderSyncTrigger().trigger("NoSuchClient")


def test_a_burst_adds_no_run_while_one_waits_to_start(prefect_server) -> None:
    # Issue #18 item 5: the debouncer fires at most every 2 s; a longer burst must not queue
    # a run each time. No worker runs here, so the first run stays Scheduled (waiting).
    deployment_id = sync_orders_probe.to_deployment(
        name="burstprobe", parameters={"client": "BurstProbe"}
    ).apply()
    trigger = PrefectOrderSyncTrigger()
    started = [trigger.trigger("BurstProbe") for _ in range(10)]
    assert started == [True] + [False] * 9

    with get_client(sync_client=True) as prefect:
        runs = prefect.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            limit=20,
        )
        assert len(runs) == 1
        # once it has started (Running), the next event needs a run of its own
        prefect.set_flow_run_state(runs[0].id, Running(), force=True)
    assert trigger.trigger("BurstProbe") is True
    assert trigger.trigger("BurstProbe") is False


def test_runs_scheduled_for_later_do_not_count_as_waiting(prefect_server) -> None:
    from datetime import UTC, datetime, timedelta

    from prefect.states import Scheduled

    deployment_id = sync_orders_probe.to_deployment(
        name="laterprobe", parameters={"client": "LaterProbe"}
    ).apply()
    with get_client(sync_client=True) as prefect:
        prefect.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=datetime.now(UTC) + timedelta(hours=1))
        )
    assert PrefectOrderSyncTrigger().trigger("LaterProbe") is True
