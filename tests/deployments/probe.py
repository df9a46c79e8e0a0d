"""A stand-in flow for lane tests: holds the client's lane and records when it held it.

Module-level so runner subprocesses can import it by module path.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from prefect import flow

from runtime.lanes import client_lane
from runtime.prefect_compat import run_sync


@flow(name="lane-probe")
def lane_probe(client: str, log: str = "", hold: float = 1.0) -> None:
    with client_lane(client):
        start = time.time()
        time.sleep(hold)
        end = time.time()
    if not log:
        return
    with Path(log).open("a", encoding="utf-8") as out:
        out.write(json.dumps({"client": client, "start": start, "end": end}) + "\n")


@flow(name="lane-probe-other")
def lane_probe_other(client: str, log: str = "", hold: float = 1.0) -> None:
    """A second flow of the same client (like push-tracking beside sync-orders)."""
    lane_probe.fn(client, log, hold)


@flow(name="lane-probe-child")
async def lane_probe_child(client: str) -> str:
    async with client_lane(client):
        return "child ran"


@flow(name="lane-probe-parent")
def lane_probe_parent(client: str) -> str:
    """Holds the lane and runs a subflow that asks for the same lane (like sync-stock)."""
    with client_lane(client):
        # An async subflow called from a sync flow returns a coroutine (Prefect 3.8); run it
        # here, inside the lane, as flows/stock.py does for its final order pull.
        return run_sync(lane_probe_child(client))
