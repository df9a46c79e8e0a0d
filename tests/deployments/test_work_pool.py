"""Scaling out as the README gives it: `prefect.yaml` from the clients file, a process work pool,
`prefect deploy --all`, and a worker that runs a client's order pull in a process of its own.

Regression: with fastapi 0.151+ Prefect's server (3.8 and 3.9.1) rejects the `"limit": null` its
own client sends while `prefect deploy` looks for workers (422), so the deploy step failed
outright. Prefect 3.9 declares `fastapi<0.151` itself.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

from deployments.prefect_yaml import render
from flows.orders import sync_orders
from npf_ecwid.sandbox import Sandbox, create_app, generate_store, serve_in_thread
from tests.deployments.operator_env import operator_env, orders_handed_off

REPO = Path(__file__).resolve().parents[2]
TOKEN = "secret_pool_token"
CLIENT = """
[clients.{code}]
store_id = 1003
token = "env:POOL_TOKEN"
api_url = "{api_url}"
order_start_date = "2000-01-01"
stock = "off"
timezone = "Australia/Sydney"
"""


def _run(command: list[str], env: dict[str, str], log: Path, timeout: float = 180) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{log.read_text()[-4000:]}"


async def test_deploy_to_a_work_pool_and_a_worker_runs_the_order_pull(
    prefect_api: str, tmp_path: Path, monkeypatch
):
    sandbox = Sandbox([generate_store(1003, orders=40, seed=8)])
    sandbox.add_token(TOKEN, 1003)
    log = tmp_path / "commands.log"
    with serve_in_thread(create_app(sandbox)) as api_url:
        clients_file = tmp_path / "clients.toml"
        clients = [CLIENT.format(code=code, api_url=api_url) for code in ("POOL", "TWIN")]
        clients_file.write_text("".join(clients))
        engine, child_env = operator_env(
            monkeypatch,
            tmp_path,
            clients_file,
            PREFECT_API_URL=prefect_api,
            NPF_PROJECT_DIR=str(REPO),
            POOL_TOKEN=TOKEN,
        )
        prefect_yaml = tmp_path / "prefect.yaml"
        prefect_yaml.write_text(render(clients_file))  # `python -m deployments.prefect_yaml`
        prefect = [sys.executable, "-m", "prefect"]
        _run([*prefect, "work-pool", "create", "npf-ecwid", "--type", "process"], child_env, log)
        deploy = ["deploy", "--all", "--no-prompt", "--prefect-file", str(prefect_yaml)]
        _run([*prefect, *deploy], child_env, log)

        async with get_client() as client:
            deployment = await client.read_deployment_by_name("sync-orders/pool")
            await client.read_deployment_by_name("push-tracking/pool")
        assert deployment.work_pool_name == "npf-ecwid"
        assert deployment.parameters == {"client": "POOL"}

        run = await run_deployment("sync-orders/pool", timeout=0)
        worker = ["worker", "start", "--pool", "npf-ecwid", "--run-once"]
        _run([*prefect, *worker], child_env, log)

        async with get_client() as client:
            finished = await client.read_flow_run(run.id)
        assert finished.state.is_completed(), log.read_text()[-4000:]
        await asyncio.to_thread(sync_orders, "TWIN")  # the same pull, in this process
        assert orders_handed_off(engine, "POOL") == orders_handed_off(engine, "TWIN") > 0
    assert TOKEN not in log.read_text()
