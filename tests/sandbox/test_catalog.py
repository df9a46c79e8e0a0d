"""Products, variations and inventory, as the stock job drives them."""

from __future__ import annotations

import httpx

from npf_ecwid.sandbox import SandboxStore

NPF004 = 500_000_004
SMALL, MEDIUM, LARGE_INHERITS = 600_000_041, 600_000_042, 600_000_043


async def test_sku_search_is_exact_and_variation_sku_returns_parent(
    client: httpx.AsyncClient,
) -> None:
    for sku in ("NPF004", "NPF004-M"):
        page = (await client.get("/products", params={"sku": sku})).json()
        assert page["total"] == 1 and page["items"][0]["id"] == NPF004
    assert (await client.get("/products", params={"sku": "NPF00"})).json()["total"] == 0
    page = (await client.get("/products", params={"sku": "npf001"})).json()
    assert page["total"] == 0  # exact match


async def test_product_paging_and_product_id_list(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    total = len(store.products())
    seen: list[int] = []
    for offset in range(0, total, 10):
        page = (await client.get("/products", params={"limit": 10, "offset": offset})).json()
        assert page["total"] == total
        seen += [p["id"] for p in page["items"]]
    assert sorted(seen) == sorted(p["id"] for p in store.products())
    page = (await client.get("/products", params={"productId": f"{NPF004},500000001,1"})).json()
    assert {p["id"] for p in page["items"]} == {NPF004, 500_000_001}
    assert (await client.get("/products", params={"limit": 500})).status_code == 400


async def test_unlimited_items_carry_no_quantity(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    unlimited = [p for p in (await client.get("/products")).json()["items"] if p["unlimited"]]
    assert len(unlimited) == 2
    assert all("quantity" not in p and p["inStock"] for p in unlimited)
    product_id = unlimited[0]["id"]
    response = await client.put(f"/products/{product_id}/inventory", json={"quantityDelta": -3})
    assert response.json() == {"updateCount": 1}
    assert "quantity" not in (await client.get(f"/products/{product_id}")).json()
    await client.put(f"/products/{product_id}", json={"quantity": 7, "unlimited": False})
    product = (await client.get(f"/products/{product_id}")).json()
    assert (product["quantity"], product["unlimited"]) == (7, False)
    await client.put(f"/products/{product_id}", json={"unlimited": True})
    assert "quantity" not in (await client.get(f"/products/{product_id}")).json()


async def test_product_inventory_delta_and_negative_warning(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    before = store.stock_by_sku()["NPF001"]
    response = await client.put("/products/500000001/inventory", json={"quantityDelta": -5})
    assert response.json() == {"updateCount": 1}
    assert store.stock_by_sku()["NPF001"] == before - 5
    response = await client.put(
        "/products/500000001/inventory", json={"quantityDelta": -(before + 1)}
    )
    assert response.json()["updateCount"] == 1 and "negative" in response.json()["warning"]
    assert (await client.get("/products/500000001")).json()["inStock"] is False
    bad = await client.put("/products/500000001/inventory", json={"quantity": 3})
    assert bad.status_code == 400
    assert [w.path for w in store.write_log] == ["/products/500000001/inventory"] * 2


async def test_variation_with_own_sku_has_own_stock(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    combinations = (await client.get(f"/products/{NPF004}/combinations")).json()
    assert isinstance(combinations, list)  # a plain array, no envelope
    medium = next(c for c in combinations if c["id"] == MEDIUM)
    product_before = store.stock_by_sku()["NPF004"]
    await client.put(
        f"/products/{NPF004}/combinations/{MEDIUM}/inventory", json={"quantityDelta": 4}
    )
    await client.put(f"/products/{NPF004}/combinations/{SMALL}", json={"quantity": 2})
    stock = store.stock_by_sku()
    assert stock["NPF004-M"] == medium["quantity"] + 4
    assert stock["NPF004-S"] == 2
    assert stock["NPF004"] == product_before  # the product's own stock is untouched


async def test_variation_without_sku_inherits_product_stock(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    large = (await client.get(f"/products/{NPF004}/combinations/{LARGE_INHERITS}")).json()
    assert "sku" not in large and "quantity" not in large
    assert "NPF004-L" not in store.stock_by_sku()
    for body, path in [
        ({"quantityDelta": 1}, f"/products/{NPF004}/combinations/{LARGE_INHERITS}/inventory"),
        ({"quantity": 9}, f"/products/{NPF004}/combinations/{LARGE_INHERITS}"),
    ]:
        response = await client.put(path, json=body)
        assert response.status_code == 400
        assert response.json()["errorMessage"] == "SKU for combination is not set"
    # its stock is the product's: empty the product and the variation is out of stock
    await client.put(f"/products/{NPF004}", json={"quantity": 0})
    large = (await client.get(f"/products/{NPF004}/combinations/{LARGE_INHERITS}")).json()
    assert large["inStock"] is False
    # an order line for it decrements the product
    await client.put(f"/products/{NPF004}", json={"quantity": 10})
    store.add_order(
        items=[
            {"productId": NPF004, "combinationId": LARGE_INHERITS, "sku": "NPF004", "quantity": 3}
        ]
    )
    assert store.stock_by_sku()["NPF004"] == 7


async def test_unknown_product_and_combination_are_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/products/1")
    assert (response.status_code, response.json()["errorCode"]) == (404, "PRODUCT_NOT_FOUND")
    response = await client.put(f"/products/{NPF004}/combinations/1/inventory", json={})
    assert (response.status_code, response.json()["errorCode"]) == (404, "COMBINATION_NOT_FOUND")


async def test_merchant_set_stock(store: SandboxStore) -> None:
    store.set_stock("NPF004-S", 42)
    store.set_stock("NPF005", None)
    stock = store.stock_by_sku()
    assert stock["NPF004-S"] == 42 and stock["NPF005"] is None
    assert store.write_log == []


async def test_products_come_in_the_documented_sort_orders(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    async def ids(sort_by: str) -> list[int]:
        page = (await client.get("/products", params={"sortBy": sort_by})).json()
        return [p["id"] for p in page["items"]]

    by_id = sorted(p["id"] for p in store.products())
    assert await ids("ADDED_TIME_ASC") == by_id  # same add time: ties by id
    names = {p["id"]: p["name"].lower() for p in store.products()}
    assert [names[i] for i in await ids("NAME_ASC")] == sorted(names.values())
    prices = [
        p["price"]
        for p in (await client.get("/products", params={"sortBy": "PRICE_DESC"})).json()["items"]
    ]
    assert prices == sorted(prices, reverse=True)
    store.set_stock("NPF005", 1)  # a stock change is a product update
    assert (await ids("UPDATED_TIME_DESC"))[0] == 500_000_005
    assert (await ids("UPDATED_TIME_ASC"))[-1] == 500_000_005
    assert (await ids("ADDED_TIME_ASC")) == by_id  # a change does not move it by add time
    wrong = await client.get("/products", params={"sortBy": "ID_ASC"})
    assert wrong.status_code == 400 and wrong.json()["errorCode"] == "WRONG_PARAMETER"
