"""Per-client lanes: overlapping runs of one client never overlap; other clients don't wait."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.deployments import run_deployment

from deployments.runner import InProcessRunner
from deployments.stale_lanes import StaleLaneJanitor
from runtime.lanes import aensure_lanes, client_lane, ensure_lanes, lane_name
from runtime.prefect_compat import is_server_hiccup
from tests.deployments.probe import lane_probe, lane_probe_other, lane_probe_parent

pytestmark = pytest.mark.prefect


def _spans(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


async def test_overlapping_triggers_of_one_client_never_run_together(prefect_server, tmp_path):
    log = tmp_path / "spans.jsonl"
    params = {"log": str(log), "hold": 3.0}
    flows = {}
    for flow in (lane_probe, lane_probe_other):
        for client in ("LANE1", "LANE2"):
            deployment = await flow.ato_deployment(
                name=client.lower(), parameters={"client": client, **params}
            )
            flows[await deployment.aapply()] = flow
    # Two serve processes' runners: each claims one run per client, so both of a client's
    # runs execute at once, one per runner; only the lane keeps them apart.
    runners = [InProcessRunner(flows, limit=4) for _ in range(2)]
    # Two flows of LANE1 triggered at once (like orders + tracking), and LANE2's two as well.
    for name in ("lane-probe", "lane-probe-other"):
        for client in ("lane1", "lane2"):
            await run_deployment(f"{name}/{client}", timeout=0)
    claimed = await asyncio.gather(*(runner.run_once() for runner in runners))
    assert sorted(len(c) for c in claimed) == [2, 2]

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


def test_a_lane_deleted_after_this_process_took_it_is_recreated(prefect_server):
    """The process skips re-checking a lane it ensured recently; an operator who deletes the
    lane (to free a crashed run's slot) must still see the next run recreate it."""
    with client_lane("Relane"):
        pass
    with get_client(sync_client=True) as prefect:
        prefect.delete_global_concurrency_limit_by_name(lane_name("Relane"))
        with client_lane("Relane"):
            limit = prefect.read_global_concurrency_limit_by_name(lane_name("Relane"))
            assert (limit.limit, limit.active_slots) == (1, 1)  # taken, by this block


def test_subflow_reenters_its_parents_lane(prefect_server):
    # Would wait forever (then time out) if the lane were not re-entrant.
    assert lane_probe_parent("LANE3") == "child ran"


def _acquisition_error(cause: BaseException) -> ConcurrencySlotAcquisitionError:
    error = ConcurrencySlotAcquisitionError("Unable to acquire concurrency slots")
    error.__cause__ = cause
    return error


def test_taking_the_lane_retries_server_hiccups_only():
    request = httpx.Request("POST", "http://prefect/api/v2/concurrency_limits/increment")

    def status(code: int) -> httpx.HTTPStatusError:
        response = httpx.Response(code, request=request)
        return httpx.HTTPStatusError(str(code), request=request, response=response)

    assert is_server_hiccup(_acquisition_error(status(503)))
    assert is_server_hiccup(_acquisition_error(httpx.ConnectError("refused", request=request)))
    assert not is_server_hiccup(_acquisition_error(status(404)))  # the lane is gone: fail loudly
    assert not is_server_hiccup(status(503))  # not from taking the lane


async def test_janitor_frees_a_lane_only_when_no_run_of_its_client_is_running(prefect_server):
    await aensure_lanes(["STALE1", "BUSY1"])
    async with get_client() as prefect:
        # What a Prefect server restart leaves: the slot taken, its lease forgotten.
        await prefect.update_global_concurrency_limit(
            lane_name("STALE1"), GlobalConcurrencyLimitUpdate(active_slots=1)
        )
        busy = asyncio.create_task(asyncio.to_thread(lane_probe, "BUSY1", "", 4.0))
        deadline = time.monotonic() + 60
        while (
            await prefect.read_global_concurrency_limit_by_name(lane_name("BUSY1"))
        ).active_slots == 0:
            assert time.monotonic() < deadline, "the probe never took its lane"
            await asyncio.sleep(0.1)

        freed = await StaleLaneJanitor(["STALE1", "BUSY1"], min_age_seconds=0).sweep(prefect)
        slots = {
            code: (
                await prefect.read_global_concurrency_limit_by_name(lane_name(code))
            ).active_slots
            for code in ("STALE1", "BUSY1")
        }
        await busy
    assert freed == ["STALE1"]
    assert slots == {"STALE1": 0, "BUSY1": 1}  # a lane its running flow holds is left alone
