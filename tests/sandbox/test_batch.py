"""POST /batch + GET /batch?ticket=."""

from __future__ import annotations

import httpx

from npf_ecwid.sandbox import Sandbox, SandboxStore
from tests.sandbox.conftest import STORE_ID, make_client

NPF001 = 500_000_001


async def run(client: httpx.AsyncClient, requests: list, **params: str) -> dict:
    posted = await client.post("/batch", json=requests, params=params)
    assert posted.status_code == 200, posted.text
    ticket = posted.json()["ticket"]
    return (await client.get("/batch", params={"ticket": ticket})).json()


async def test_batch_runs_against_the_same_store(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    before = store.stock_by_sku()["NPF001"]
    result = await run(
        client,
        [
            {
                "id": "a",
                "path": f"/products/{NPF001}/inventory",
                "method": "PUT",
                "body": {"quantityDelta": -2},
            },
            {"id": "b", "path": f"/products/{NPF001}", "method": "GET"},
            {"id": "c", "path": "/orders?limit=1", "method": "GET"},
        ],
    )
    assert result["status"] == "COMPLETED"
    assert (result["totalRequests"], result["completedRequests"]) == (3, 3)
    by_id = {r["id"]: r for r in result["responses"]}
    assert by_id["a"]["httpBody"] == {"updateCount": 1}
    assert by_id["b"]["httpBody"]["quantity"] == before - 2
    assert by_id["c"]["httpBody"]["count"] == 1
    assert store.stock_by_sku()["NPF001"] == before - 2
    puts = [w for w in store.write_log if w.method == "PUT"]
    assert len(puts) == 1 and puts[0].batch_ticket is not None


async def test_stop_on_first_failure(client: httpx.AsyncClient, store: SandboxStore) -> None:
    requests = [
        {"id": "1", "path": "/products/1/inventory", "method": "PUT", "body": {"quantityDelta": 1}},
        {
            "id": "2",
            "path": f"/products/{NPF001}/inventory",
            "method": "PUT",
            "body": {"quantityDelta": 1},
        },
    ]
    stopped = await run(client, requests)
    assert [r["status"] for r in stopped["responses"]] == ["FAILED", "NOT_EXECUTED"]
    assert stopped["responses"][0]["httpStatusCode"] == 404
    carried_on = await run(client, requests, stopOnFirstFailure="false")
    assert [r["status"] for r in carried_on["responses"]] == ["FAILED", "COMPLETED"]
    assert len([w for w in store.write_log if w.method == "PUT"]) == 1


async def test_batch_limits_dedup_escaped_and_polling(
    client: httpx.AsyncClient, sandbox: Sandbox, store: SandboxStore
) -> None:
    one = {"path": f"/products/{NPF001}/inventory", "method": "PUT", "body": {"quantityDelta": 1}}
    assert (await client.post("/batch", json=[one] * 501)).status_code == 400
    assert (await client.post("/batch", json={"path": "/x"})).status_code == 400
    first = (await client.post("/batch", json=[one], params={"deduplicationKey": "k1"})).json()
    again = (await client.post("/batch", json=[one], params={"deduplicationKey": "k1"})).json()
    assert first == again
    assert len([w for w in store.write_log if w.method == "PUT"]) == 1
    sandbox.faults.batch_pending_polls = 1
    ticket = (await client.post("/batch", json=[one])).json()["ticket"]
    assert (await client.get("/batch", params={"ticket": ticket})).json()["status"] == "IN_PROGRESS"
    done = (await client.get("/batch", params={"ticket": ticket, "escapedJson": "true"})).json()
    assert done["status"] == "COMPLETED"
    assert done["responses"][0]["escapedHttpBody"] == '{"updateCount": 1}'
    response = await client.get("/batch", params={"ticket": "nope"})
    assert response.status_code == 404


async def test_batch_respects_scopes(sandbox: Sandbox) -> None:
    sandbox.add_token("catalog-reader", STORE_ID, scopes=["read_catalog"])
    async with make_client(sandbox, "catalog-reader") as client:
        result = await run(
            client,
            [
                {
                    "path": f"/products/{NPF001}/inventory",
                    "method": "PUT",
                    "body": {"quantityDelta": 1},
                }
            ],
        )
    assert result["responses"][0]["httpStatusCode"] == 403
