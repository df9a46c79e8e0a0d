"""DELETE /orders/{id} and GET /orders/deleted against the sandbox, as Ecwid documents them
(docs/ecwid/api-reference/rest-api/orders/delete-order.md,
docs/ecwid/api-reference/rest-api/store-profile/store-reports/get-deleted-items-history.md)."""

from __future__ import annotations

import httpx
import pytest

from npf_ecwid.sandbox import Sandbox, SandboxStore
from tests.sandbox.conftest import make_client

T0 = 1_780_000_000  # a fixed clock, so the date filters are exact


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(store: SandboxStore) -> Clock:
    clock = Clock()
    store.clock = clock
    return clock


async def test_delete_removes_the_order_and_records_it_in_the_history(
    client: httpx.AsyncClient, store: SandboxStore, clock: Clock
) -> None:
    order = store.orders()[0]
    before = (await client.get("/orders")).json()["total"]
    response = await client.delete(f"/orders/{order['id']}")
    assert response.status_code == 200
    assert response.json() == {"deleteCount": 1}
    assert (await client.get(f"/orders/{order['id']}")).status_code == 404
    listed = (await client.get("/orders", params={"ids": order["id"]})).json()
    assert listed["total"] == 0
    assert (await client.get("/orders")).json()["total"] == before - 1
    history = (await client.get("/orders/deleted")).json()
    assert history["total"] == history["count"] == 1
    assert history["items"] == [
        {"id": order["internalId"], "orderId": order["id"], "date": "2026-05-28 20:26:40 +0000"}
    ]
    assert store.write_log[-1].method == "DELETE"
    again = await client.delete(f"/orders/{order['id']}")
    assert again.json() == {"deleteCount": 0}  # nothing left to delete
    assert (await client.get("/orders/deleted")).json()["total"] == 1


async def test_history_filters_by_deletion_date_and_pages(
    client: httpx.AsyncClient, store: SandboxStore, clock: Clock
) -> None:
    ids = [o["id"] for o in store.orders()[:5]]
    for n, order_id in enumerate(ids):
        clock.now = T0 + 100 * n
        assert store.delete_order(order_id) is not None
    window = (
        await client.get("/orders/deleted", params={"from_date": T0 + 100, "to_date": T0 + 300})
    ).json()
    assert [i["orderId"] for i in window["items"]] == ids[1:4]  # bounds inclusive
    dated = await client.get("/orders/deleted", params={"from_date": "2026-05-28 20:30:01"})
    assert [i["orderId"] for i in dated.json()["items"]] == ids[3:]
    page = (await client.get("/orders/deleted", params={"offset": 1, "limit": 2})).json()
    assert (page["total"], page["count"], page["offset"], page["limit"]) == (5, 2, 1, 2)
    assert [i["orderId"] for i in page["items"]] == ids[1:3]
    for bad in ({"from_date": "yesterday"}, {"limit": 101}, {"offset": -1}):
        response = await client.get("/orders/deleted", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["errorCode"] == "WRONG_PARAMETER"


async def test_deleted_ids_are_never_reused(store: SandboxStore) -> None:
    gone = store.orders()[0]
    store.delete_order(gone["id"])
    assert store.get_order(str(gone["internalId"])) is None
    fresh = [store.add_order() for _ in range(50)]
    assert gone["id"] not in {o["id"] for o in fresh}
    assert gone["internalId"] not in {o["internalId"] for o in fresh}


async def test_scopes(sandbox: Sandbox, store: SandboxStore) -> None:
    sandbox.add_token("read-only", store.store_id, scopes=["read_orders"])
    sandbox.add_token("no-orders", store.store_id, scopes=["read_catalog"])
    order_id = store.orders()[0]["id"]
    async with make_client(sandbox, "read-only") as reader:
        refused = await reader.delete(f"/orders/{order_id}")
        assert refused.status_code == 403
        assert refused.json()["errorCode"] == "INSUFFICIENT_APP_SCOPE"
        assert (await reader.get("/orders/deleted")).status_code == 200
    async with make_client(sandbox, "no-orders") as stranger:
        assert (await stranger.get("/orders/deleted")).status_code == 403
    assert store.get_order(order_id) is not None
