"""A failed deployment run, retried from the UI (same flow run re-scheduled), completes safely.

The story an operator lives: Ecwid answers 5xx beyond the client's retries and the scheduled
`sync-orders` run fails, having handed off nothing; the fault clears; the operator presses
Retry (= `prefect flow-run retry`: the same flow run is set to Scheduled); the runner that
`npf-ecwid serve` uses executes it again; it completes and the warehouse holds exactly the
orders a clean pull hands off, each once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.states import Scheduled
from sqlalchemy import select
from sqlmodel import Session

from deployments.build import register
from deployments.plan import SYNC_ORDERS, plan_deployments
from deployments.runner import InProcessRunner
from flows.orders import sync_orders
from npf_ecwid.config import load_clients
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import Sandbox, create_app, generate_store, serve_in_thread
from npf_ecwid.tables import NpfOrder

pytestmark = pytest.mark.prefect
TOKEN = "secret_retry_token"
CLIENTS = """
[clients.RETRY1]
store_id = 1003
token = "env:RETRY_TOKEN"
order_start_date = "2000-01-01"
payment_statuses = ["PAID"]

[clients.TWIN]   # same store and filters: the reference a clean pull gives
store_id = 1003
token = "env:RETRY_TOKEN"
order_start_date = "2000-01-01"
payment_statuses = ["PAID"]
"""


def _handed_off(engine, client: str) -> list[str]:
    with Session(engine) as session:
        query = select(NpfOrder.ecwid_order_id).where(NpfOrder.client == client)
        return sorted(session.execute(query).scalars())


async def test_failed_run_retried_completes_with_the_right_data(
    prefect_server, tmp_path: Path, monkeypatch
):
    sandbox = Sandbox([generate_store(1003, orders=40, seed=7)])
    sandbox.add_token(TOKEN, 1003)
    clients_file = tmp_path / "clients.toml"
    clients_file.write_text(CLIENTS)
    with serve_in_thread(create_app(sandbox)) as api_url:
        # The runner's flow runs read this environment.
        monkeypatch.setenv("ECWID_API_URL", api_url)
        monkeypatch.setenv("NPF_CLIENTS", str(clients_file))
        monkeypatch.setenv("NPF_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'npf.db'}")
        monkeypatch.setenv("RETRY_TOKEN", TOKEN)
        engine = get_engine()
        upgrade(engine)
        plans = plan_deployments(load_clients(clients_file).values(), [SYNC_ORDERS])
        (deployment_id,) = await asyncio.to_thread(register, plans[:1])
        runner = InProcessRunner({UUID(deployment_id): sync_orders})

        sandbox.faults.fail_rate, sandbox.faults.fail_status = 1.0, 503
        flow_run = await run_deployment("sync-orders/retry1", timeout=0)
        assert await runner.run_once() == [flow_run.id]
        async with get_client() as prefect:
            failed = await prefect.read_flow_run(flow_run.id)
        assert failed.state.is_failed(), failed.state
        assert _handed_off(engine, "RETRY1") == []  # nothing half-done

        sandbox.faults.fail_rate = 0.0  # the fault clears; the operator presses Retry
        async with get_client() as prefect:
            await prefect.set_flow_run_state(flow_run.id, Scheduled(message="Retry"), force=True)
        assert await runner.run_once() == [flow_run.id]
        async with get_client() as prefect:
            retried = await prefect.read_flow_run(flow_run.id)
        await asyncio.to_thread(sync_orders, "TWIN")  # a sync flow; keep this loop free

    assert retried.state.is_completed(), retried.state
    assert retried.run_count == 2  # the same flow run, run again
    got, reference = _handed_off(engine, "RETRY1"), _handed_off(engine, "TWIN")
    assert got == reference and len(got) > 10
