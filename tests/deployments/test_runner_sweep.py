"""`InProcessRunner.sweep_orphans`: runs left unfinished by a dead `serve` on this host are marked
Crashed; runs of a live process, of another host or of another deployment are left alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.states import Running

from deployments.runner import InProcessRunner


@flow(name="sweep-probe")
def _probe() -> None:
    return None


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_only_runs_of_a_dead_local_serve_are_marked_crashed(prefect_server):
    host = socket.gethostname()
    async with get_client() as prefect:
        flow_id = await prefect.create_flow_from_name("sweep-probe")
        ours, other = [
            await prefect.create_deployment(flow_id=flow_id, name=f"sweep-{uuid.uuid4().hex[:8]}")
            for _ in range(2)
        ]
        pids = {
            "dead": (ours, f"{host}:{_dead_pid()}"),
            "dead-twice": (ours, f"{host}:{_dead_pid()}"),
            "live": (ours, f"{host}:{os.getpid()}"),
            "elsewhere": (ours, f"another-host:{_dead_pid()}"),
            "not-ours": (other, f"{host}:{_dead_pid()}"),
        }
        runs = {}
        for name, (deployment, pid) in pids.items():
            run = await prefect.create_flow_run_from_deployment(deployment, state=Running())
            await prefect.update_flow_run(run.id, infrastructure_pid=pid)
            runs[name] = run.id

        runner = InProcessRunner({ours: _probe}, limit=1)
        swept = await runner.sweep_orphans(prefect)

        assert sorted(swept) == sorted([runs["dead"], runs["dead-twice"]])
        states = {name: (await prefect.read_flow_run(i)).state for name, i in runs.items()}
    assert {n for n, s in states.items() if s.is_crashed()} == {"dead", "dead-twice"}
    assert all(states[n].is_running() for n in ("live", "elsewhere", "not-ours"))
    async with get_client() as prefect:  # a second sweep finds nothing left to do
        assert await runner.sweep_orphans(prefect) == []
