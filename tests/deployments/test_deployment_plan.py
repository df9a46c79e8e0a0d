"""Deployment plan: one per client per flow, client code only, schedules from the clients file."""

from __future__ import annotations

from datetime import timedelta

from deployments.plan import (
    EPOCH,
    PUSH_TRACKING,
    SYNC_ORDERS,
    SYNC_STOCK,
    CronSchedule,
    plan_deployments,
)
from npf_ecwid.config import parse_client

ACME = parse_client(
    "ACME",
    {"store_id": 1003, "token": "env:ACME_TOKEN", "stock": "available", "stock_time": "18:30"},
)
BETA = parse_client(
    "Beta_2",
    {
        "store_id": 2002,
        "token": "secret:beta-token",
        "order_interval_minutes": 10,
        "timezone": "Europe/Berlin",
    },
)


def test_one_deployment_per_client_per_flow_named_by_lowercased_code():
    plans = plan_deployments([ACME, BETA])
    assert [p.full_name for p in plans] == [
        "sync-orders/acme",
        "push-tracking/acme",
        "sync-stock/acme",
        "sync-orders/beta_2",
        "push-tracking/beta_2",
    ]  # Beta_2 has stock = "off": no stock deployment


def test_parameters_carry_only_the_client_code():
    for plan in plan_deployments([ACME, BETA]):
        assert plan.parameters == {"client": plan.client}


def test_schedules_interval_and_local_cron():
    plans = {p.full_name: p.schedule for p in plan_deployments([ACME, BETA])}
    orders = plans["sync-orders/acme"]
    assert (orders.every, orders.timezone) == (timedelta(minutes=5), "Australia/Melbourne")
    tracking = plans["push-tracking/acme"]
    assert (tracking.every, tracking.timezone) == (orders.every, orders.timezone)
    assert tracking.anchor != orders.anchor  # a client's two flows don't fall due together
    assert plans["push-tracking/beta_2"].every == timedelta(minutes=10)
    assert plans["sync-stock/acme"] == CronSchedule(
        cron="30 18 * * *", timezone="Australia/Melbourne"
    )


def test_entrypoints():
    assert SYNC_ORDERS.entrypoint == "flows/orders.py:sync_orders"
    assert PUSH_TRACKING.entrypoint == "flows/tracking.py:push_tracking"
    assert SYNC_STOCK.entrypoint == "flows/stock.py:sync_stock"


def test_committed_prefect_yaml_matches_the_example_clients():
    from pathlib import Path

    from deployments.prefect_yaml import render

    root = Path(__file__).resolve().parents[2]
    assert (root / "prefect.yaml").read_text() == render(root / "clients.example.toml"), (
        "regenerate: python -m deployments.prefect_yaml clients.example.toml > prefect.yaml"
    )


def test_interval_starts_are_spread_over_the_interval():
    clients = [
        parse_client(f"C{i:03d}", {"store_id": 1000 + i, "token": "env:T"}) for i in range(200)
    ]
    offsets = {
        (p.schedule.anchor - EPOCH).total_seconds()
        for p in plan_deployments(clients, [SYNC_ORDERS])
    }
    assert all(0 <= o < 300 for o in offsets)
    # 200 clients into 300 one-second slots: ~146 distinct expected (birthday maths)
    assert len(offsets) > 120 and max(offsets) - min(offsets) > 250
