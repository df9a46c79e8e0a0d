"""Registering the deployments of two clients from a clients file, read back from the server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from deployments.build import register
from deployments.plan import FlowSpec, plan_deployments
from npf_ecwid.config import load_clients
from runtime.lanes import lane_name

pytestmark = pytest.mark.prefect

# Stand-ins for the three flows (same shapes: a `client` parameter, one daily).
ORDERS_LIKE = FlowSpec("lane-probe", "tests.deployments.probe", "lane_probe")
STOCK_LIKE = FlowSpec("lane-probe-other", "tests.deployments.probe", "lane_probe_other", daily=True)

CLIENTS = """
[clients.REG1]
store_id = 1003
token = "env:REG1_TOKEN"
stock = "on_hand"
stock_time = "18:00"
timezone = "Australia/Melbourne"

[clients.Reg2]
store_id = 1004
token = "secret:reg2-token"
order_interval_minutes = 15
stock = "available"
stock_time = "06:45"
timezone = "Europe/Berlin"
"""


def test_two_clients_register_with_schedules_parameters_and_lanes(prefect_server, tmp_path: Path):
    path = tmp_path / "clients.toml"
    path.write_text(CLIENTS)
    plans = plan_deployments(load_clients(path).values(), [ORDERS_LIKE, STOCK_LIKE])

    ids = register(plans)
    assert len(ids) == 4
    assert register(plans) == ids  # idempotent: re-registering updates, never duplicates

    with get_client(sync_client=True) as prefect:
        got = {
            name: prefect.read_deployment_by_name(name)
            for name in ("lane-probe/reg1", "lane-probe/reg2", "lane-probe-other/reg2")
        }
        lanes = [
            prefect.read_global_concurrency_limit_by_name(lane_name(c)) for c in ("REG1", "Reg2")
        ]

    interval = got["lane-probe/reg1"].schedules[0].schedule
    assert interval.interval == timedelta(minutes=5)
    assert got["lane-probe/reg2"].schedules[0].schedule.interval == timedelta(minutes=15)
    cron = got["lane-probe-other/reg2"].schedules[0].schedule
    assert (cron.cron, cron.timezone) == ("45 6 * * *", "Europe/Berlin")

    for deployment in got.values():
        assert set(deployment.parameters) == {"client"}
        assert deployment.global_concurrency_limit.limit == 1  # same deployment: one at a time
        assert "npf-ecwid" in deployment.tags
    assert got["lane-probe/reg2"].parameters == {"client": "Reg2"}
    assert [lane.limit for lane in lanes] == [1, 1]
