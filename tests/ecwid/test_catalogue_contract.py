"""Products, variations, stock writes and batches against the sandbox (ASGI and real HTTP)."""

from __future__ import annotations

import pytest

from npf_ecwid.ecwid.batch import BatchRequest
from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.ecwid.errors import EcwidNotFound, EcwidWriteUncertain
from npf_ecwid.sandbox.app import Sandbox
from npf_ecwid.sandbox.store import SandboxStore

NPF001, NPF004, NPF004_S = 500_000_001, 500_000_004, 600_000_041


async def test_whole_catalogue_and_sku_lookup(ecwid: EcwidClient, store: SandboxStore) -> None:
    products = await ecwid.search_products()
    assert sorted(p.id for p in products) == sorted(p["id"] for p in store.products())
    [by_sku] = await ecwid.search_products(sku="NPF001")
    assert (by_sku.id, by_sku.quantity) == (NPF001, store.stock_by_sku()["NPF001"])
    [parent] = await ecwid.search_products(sku="NPF004-S")  # a variation SKU finds its product
    assert parent.id == NPF004
    assert await ecwid.search_products(sku="NO-SUCH-SKU") == []


async def test_product_and_variations(ecwid: EcwidClient, store: SandboxStore) -> None:
    product = await ecwid.get_product(NPF004)
    combinations = await ecwid.get_combinations(NPF004)
    assert [c.id for c in combinations] == [c.id for c in product.combinations]
    by_id = {c.id: c for c in combinations}
    assert by_id[NPF004_S].sku == "NPF004-S"
    assert by_id[NPF004_S].quantity == store.stock_by_sku()["NPF004-S"]
    with pytest.raises(EcwidNotFound, match=r"^product 1 not found \(404\)$"):
        await ecwid.get_product(1)


async def test_stock_writes_land_once(ecwid: EcwidClient, store: SandboxStore) -> None:
    before = store.stock_by_sku()
    await ecwid.adjust_product_inventory(NPF001, -3)
    await ecwid.adjust_combination_inventory(NPF004, NPF004_S, 2)
    await ecwid.update_product(500_000_005, {"quantity": 7})
    await ecwid.update_combination(NPF004, 600_000_042, {"quantity": 9})
    after = store.stock_by_sku()
    assert after["NPF001"] == before["NPF001"] - 3
    assert after["NPF004-S"] == before["NPF004-S"] + 2
    assert (after["NPF005"], after["NPF004-M"]) == (7, 9)
    assert [(w.method, w.path, w.body) for w in store.write_log] == [
        ("PUT", f"/products/{NPF001}/inventory", {"quantityDelta": -3}),
        ("PUT", f"/products/{NPF004}/combinations/{NPF004_S}/inventory", {"quantityDelta": 2}),
        ("PUT", "/products/500000005", {"quantity": 7}),
        ("PUT", f"/products/{NPF004}/combinations/600000042", {"quantity": 9}),
    ]


async def test_delta_is_not_resent_after_a_dropped_answer(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    sandbox.faults.drop_rate = 1.0
    with pytest.raises(EcwidWriteUncertain, match="re-read"):
        await ecwid.adjust_product_inventory(NPF001, -1)
    assert sandbox.count(method="PUT", path_prefix=f"/products/{NPF001}/inventory") == 1


async def test_delta_is_retried_after_429_and_lands_once(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    before = store.stock_by_sku()["NPF001"]
    sandbox.faults.rate_limit, sandbox.faults.rate_window = 1, 0.5
    await ecwid.get_product(NPF001)  # uses the only slot: the next request gets a 429 first
    await ecwid.adjust_product_inventory(NPF001, -4)
    assert sandbox.count(status=429) >= 1
    assert store.stock_by_sku()["NPF001"] == before - 4
    assert len(store.write_log) == 1


async def test_batch_applies_each_request(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    sandbox.faults.batch_pending_polls = 2
    before = store.stock_by_sku()
    requests = [
        BatchRequest(id="a", path=f"/products/{NPF001}/inventory", body={"quantityDelta": -1}),
        BatchRequest(id="b", path="/products/500000005", body={"quantity": 11}),
        BatchRequest(id="c", path="/products/1/inventory", body={"quantityDelta": 1}),
    ]
    responses = await ecwid.run_batch(requests, poll_interval=0.01)
    assert [(r.id, r.ok) for r in responses] == [("a", True), ("b", True), ("c", False)]
    assert responses[2].http_status_code == 404
    assert responses[0].http_body["updateCount"] == 1
    after = store.stock_by_sku()
    assert (after["NPF001"], after["NPF005"]) == (before["NPF001"] - 1, 11)
