"""Regressions for bugs the chaos run found (each names the run's symptom)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store
from npf_ecwid.tracking.plan import PlannedPush
from npf_ecwid.tracking.push import apply_plan

TOKEN = "chaos-regression-token"


@pytest.mark.skipif(
    not hasattr(Faults(), "drop_after_rate"), reason="the sandbox cannot lose answers yet"
)
async def test_lost_put_answers_are_read_back_not_sent_twice() -> None:
    """Chaos symptom: `pushes_duplicated=2` - a tracking PUT applied by Ecwid whose answer was
    lost (client timeout, dropped connection) was retried blindly, so Ecwid got it twice."""
    store = generate_store(1003, orders=5)
    orders = [store.add_order() for _ in range(20)]
    sandbox = Sandbox([store], Faults(drop_after_rate=0.3), seed=5)
    sandbox.add_token(TOKEN, 1003)
    pushes = [
        PlannedPush("ACME", order["id"], (f"CHAOS{i:04d}",), None, "Australia Post")
        for i, order in enumerate(orders)
    ]
    async with EcwidClient(
        base_url="http://sandbox/api/v3",
        store_id=1003,
        token=SecretStr(TOKEN),
        transport=httpx.ASGITransport(create_app(sandbox)),
        backoff_base=0.01,
        backoff_max=0.01,
    ) as ecwid:
        run = await apply_plan(ecwid, pushes, record=None, concurrency=1)

    lost = [e for e in sandbox.request_log if e.method == "PUT" and e.fault == "drop_after"]
    assert lost, "no PUT answer was lost: the case was not exercised"
    puts = Counter(e.path for e in store.write_log if e.method == "PUT")
    assert len(puts) == 20
    assert set(puts.values()) == {1}
    assert {o.status for o in run.outcomes} == {"pushed"}
    for i, order in enumerate(orders):
        current = store.get_order(order["id"])
        assert current is not None
        assert (current["trackingNumber"], current["fulfillmentStatus"]) == (
            f"CHAOS{i:04d}",
            "SHIPPED",
        )
