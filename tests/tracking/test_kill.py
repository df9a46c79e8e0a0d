"""Kill a push mid-batch (SIGKILL) at a deterministic point, re-run: every order PUT once.

The point: `K` PUT answers have gone out and been recorded in the ledger, and every later PUT
has been applied by the sandbox but its answer is held back, so the killed run had sent writes
it never learnt about (the case a naive ledger would push twice).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.tracking import push_tracking
from npf_ecwid.sandbox.app import create_app
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.tracking.ledger import load_ledger
from runtime.lanes import lane_name
from tests.tracking.conftest import TrackingEnv

pytestmark = pytest.mark.prefect

ORDERS = 40
ANSWERED = 5  # PUT answers let through before the rest are held


class HoldPutAnswers:
    """ASGI wrapper: after `answered` PUT answers, hold every further PUT answer (the write has
    already been applied by then) until the server stops."""

    def __init__(self, app: ASGIApp, answered: int) -> None:
        self.app, self.answered, self.sent, self.enabled = app, answered, 0, True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT" or not self.enabled:
            await self.app(scope, receive, send)
            return

        async def gated(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.sent >= self.answered:
                    await asyncio.Event().wait()  # cancelled when the server shuts down
                self.sent += 1
            await send(message)

        await self.app(scope, receive, gated)


def clear_lane(client: str) -> None:
    """What an operator does after a crash instead of waiting for the dead run's lane lease to
    expire (up to 60 s): drop the lane; the next run recreates it."""
    with get_client(sync_client=True) as prefect:
        prefect.delete_global_concurrency_limit_by_name(lane_name(client))


def wait_for(condition, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_mid_batch_then_rerun_pushes_every_order_exactly_once(
    prefect_server, tracking_env: TrackingEnv
) -> None:
    env = tracking_env
    ids = env.new_orders(ORDERS)
    for order_id in ids:
        env.ship(order_id, f"K-{order_id}")
    hold = HoldPutAnswers(create_app(env.sandbox), ANSWERED)
    with serve_in_thread(hold) as api_url:
        env.api_url = api_url
        env.write_clients(push_tracking_url=True)
        environ = {**os.environ, **env.env(), "PREFECT_API_URL": PREFECT_API_URL.value()}
        command = [sys.executable, "-m", "cli", "tracking", "push", "--client", "ACME"]
        process = subprocess.Popen(
            command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: len(load_ledger(env.engine, "ACME")) >= ANSWERED, "ledger rows")
            wait_for(lambda: len(env.puts()) > ANSWERED, "an applied, unanswered PUT")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        applied = len(env.puts())
        clear_lane("ACME")
        assert len(load_ledger(env.engine, "ACME")) == ANSWERED < applied

        hold.enabled = False
        report = push_tracking("ACME")

    assert report.counts["up_to_date"] == ANSWERED
    assert report.counts["already_shipped"] == applied - ANSWERED
    assert report.counts["pushed"] == ORDERS - applied
    assert env.puts_by_order() == dict.fromkeys(ids, 1)
    for order_id in ids:
        order = env.store.get_order(order_id)
        assert (order["fulfillmentStatus"], order["trackingNumber"]) == ("SHIPPED", f"K-{order_id}")
    assert len(load_ledger(env.engine, "ACME")) == ORDERS
    assert push_tracking("ACME").counts["up_to_date"] == ORDERS
    assert len(env.puts()) == ORDERS
