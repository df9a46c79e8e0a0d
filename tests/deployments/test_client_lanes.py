"""Per-client lanes: overlapping runs of one client never overlap; other clients don't wait."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

from deployments.runner import InProcessRunner
from flows.lanes import ensure_lanes, lane_name
from tests.deployments.probe import lane_probe, lane_probe_other, lane_probe_parent

pytestmark = pytest.mark.prefect


def _spans(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


async def test_overlapping_triggers_of_one_client_never_run_together(prefect_server, tmp_path):
    log = tmp_path / "spans.jsonl"
    params = {"log": str(log), "hold": 1.5}
    flows = {}
    for flow in (lane_probe, lane_probe_other):
        for client in ("LANE1", "LANE2"):
            deployment = await flow.ato_deployment(
                name=client.lower(), parameters={"client": client, **params}
            )
            flows[await deployment.aapply()] = flow
    runner = InProcessRunner(flows, limit=4)  # all four at once: only the lanes keep order
    # Two flows of LANE1 triggered at once (like orders + tracking), and LANE2's two as well.
    for name in ("lane-probe", "lane-probe-other"):
        for client in ("lane1", "lane2"):
            await run_deployment(f"{name}/{client}", timeout=0)
    assert len(await runner.run_once()) == 4

    spans = _spans(log)
    by_client = {c: [s for s in spans if s["client"] == c] for c in ("LANE1", "LANE2")}
    assert [len(v) for v in by_client.values()] == [2, 2]
    for own in by_client.values():
        assert not _overlap(*own), own
    # Lanes are per client: some LANE1 run overlapped some LANE2 run.
    assert any(_overlap(a, b) for a in by_client["LANE1"] for b in by_client["LANE2"])


async def test_lane_is_one_slot_per_client(prefect_server):
    ensure_lanes(["Acme", "Acme"])
    async with get_client() as prefect:
        limit = await prefect.read_global_concurrency_limit_by_name(lane_name("Acme"))
    assert (limit.name, limit.limit, limit.active) == ("client-acme", 1, True)


def test_subflow_reenters_its_parents_lane(prefect_server):
    # Would wait forever (then time out) if the lane were not re-entrant.
    assert lane_probe_parent("LANE3") == "child ran"
