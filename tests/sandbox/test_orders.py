"""GET/PUT /orders against the sandbox, checked against the store's own data."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from npf_ecwid.sandbox import SandboxStore


async def all_pages(client: httpx.AsyncClient, **params: str | int) -> list[dict]:
    items: list[dict] = []
    offset = 0
    while True:
        page = (await client.get("/orders", params={**params, "offset": offset})).json()
        items += page["items"]
        offset += page["count"]
        if offset >= page["total"] or not page["count"]:
            return items


async def test_paging_envelope_covers_every_visible_order_once(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    first = (await client.get("/orders", params={"limit": 7, "offset": 3})).json()
    visible = [o for o in store.orders() if o["paymentStatus"] != "INCOMPLETE"]
    assert first["total"] == len(visible)
    assert (first["count"], first["offset"], first["limit"]) == (7, 3, 7)
    items = await all_pages(client, limit=50)
    assert sorted(o["id"] for o in items) == sorted(o["id"] for o in visible)
    created = [o["createTimestamp"] for o in items]
    assert created == sorted(created, reverse=True)  # the sandbox's documented default order


async def test_default_limit_is_100_and_limit_above_100_is_rejected(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/orders")).json()["limit"] == 100
    response = await client.get("/orders", params={"limit": 101})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "WRONG_PARAMETER"
    assert "limit" in response.json()["errorMessage"]
    for bad in ({"offset": -1}, {"limit": "ten"}, {"createdFrom": "yesterday"}):
        response = await client.get("/orders", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["errorMessage"]


async def test_incomplete_orders_only_when_asked(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    incomplete = {o["id"] for o in store.orders() if o["paymentStatus"] == "INCOMPLETE"}
    assert incomplete
    listed = {o["id"] for o in await all_pages(client)}
    assert not listed & incomplete
    asked = await all_pages(client, paymentStatus="INCOMPLETE")
    assert {o["id"] for o in asked} == incomplete
    one = next(iter(incomplete))
    assert (await client.get(f"/orders/{one}")).status_code == 200


async def test_status_filters_take_comma_lists(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    got = await all_pages(
        client, paymentStatus="PAID,REFUNDED", fulfillmentStatus="SHIPPED, DELIVERED"
    )
    expected = {
        o["id"]
        for o in store.orders()
        if o["paymentStatus"] in ("PAID", "REFUNDED")
        and o["fulfillmentStatus"] in ("SHIPPED", "DELIVERED")
    }
    assert expected and {o["id"] for o in got} == expected
    bad = await client.get("/orders", params={"paymentStatus": "PAID,NOPE"})
    assert bad.status_code == 400


@pytest.mark.parametrize("field", ["created", "updated"])
async def test_date_filters_accept_unix_seconds_and_ecwid_date_strings(
    client: httpx.AsyncClient, store: SandboxStore, field: str
) -> None:
    key = "updateTimestamp" if field == "updated" else "createTimestamp"
    stamps = sorted(o[key] for o in store.orders() if o["paymentStatus"] != "INCOMPLETE")
    low, high = stamps[len(stamps) // 4], stamps[len(stamps) // 2]
    expected = {
        o["id"]
        for o in store.orders()
        if o["paymentStatus"] != "INCOMPLETE" and low <= o[key] <= high
    }
    as_text = datetime.fromtimestamp(low, UTC).strftime("%Y-%m-%d %H:%M:%S")
    high_melbourne = datetime.fromtimestamp(high + 10 * 3600, UTC).strftime("%Y-%m-%d %H:%M:%S")
    for lower, upper in [
        (str(low), str(high)),
        (as_text, str(high)),
        (f"{as_text} +0000", f"{high_melbourne} +1000"),
    ]:
        got = await all_pages(client, **{f"{field}From": lower, f"{field}To": upper})
        assert {o["id"] for o in got} == expected, (lower, upper)
    day = datetime.fromtimestamp(high, UTC).strftime("%Y-%m-%d")
    got = await all_pages(client, **{f"{field}From": day})
    midnight = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    assert got and all(o[key] >= midnight for o in got)


async def test_ids_match_prefixed_bare_and_internal_ids(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    visible = [o for o in store.orders() if o["paymentStatus"] != "INCOMPLETE"]
    prefixed = next(o for o in visible if o["id"].startswith("ACME-"))
    legacy = next(o for o in visible if not o["id"].startswith("ACME-"))
    by_internal = visible[-1]
    ids = f"{prefixed['id']},{legacy['id']},{by_internal['internalId']},NOSUCH"
    got = (await client.get("/orders", params={"ids": ids})).json()
    assert {o["id"] for o in got["items"]} == {prefixed["id"], legacy["id"], by_internal["id"]}
    bare = prefixed["id"].removeprefix("ACME-")
    assert (await client.get(f"/orders/{bare}")).json()["id"] == prefixed["id"]


async def test_prefix_on_about_70_percent_newest_orders(store: SandboxStore) -> None:
    orders = sorted(store.orders(), key=lambda o: o["createTimestamp"])
    prefixed = [o["id"].startswith("ACME-") for o in orders]
    assert 0.55 < sum(prefixed) / len(prefixed) < 0.85
    first = prefixed.index(True)
    assert all(prefixed[first:])  # once the merchant set the prefix, every order carries it
    assert all(o["updateTimestamp"] >= o["createTimestamp"] for o in orders)


async def test_get_unknown_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders/NOSUCH")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "ORDER_NOT_FOUND"
    response = await client.put("/orders/NOSUCH", json={"trackingNumber": "1"})
    assert response.status_code == 404


async def test_put_is_partial_and_bumps_update_date(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    order = next(o for o in store.orders() if o["id"].startswith("ACME-") and len(o["items"]) > 1)
    before = dict(order)
    body = {
        "fulfillmentStatus": "SHIPPED",
        "trackingNumber": "1Z999",
        "shippingPerson": {"phone": "+61 400 000 000"},
        "id": "HIJACK",
    }
    response = await client.put(f"/orders/{order['id']}", json=body)
    assert response.json() == {"updateCount": 1}
    after = (await client.get(f"/orders/{order['id']}")).json()
    assert after["fulfillmentStatus"] == "SHIPPED"
    assert after["trackingNumber"] == "1Z999"
    assert after["id"] == order["id"]  # read-only field ignored
    assert after["items"] == before["items"]  # untouched when not sent
    assert after["shippingPerson"]["phone"] == "+61 400 000 000"
    assert after["shippingPerson"]["name"] == before["shippingPerson"]["name"]  # merged
    assert after["paymentStatus"] == before["paymentStatus"]
    assert after["updateTimestamp"] > before["updateTimestamp"]
    assert after["updateDate"] != before["updateDate"]
    assert [(w.method, w.path, w.body, w.status) for w in store.write_log] == [
        ("PUT", f"/orders/{order['id']}", body, 200)
    ]
    # the update is visible to an updatedFrom query (cache invalidated by the write)
    got = await all_pages(client, updatedFrom=str(after["updateTimestamp"]))
    assert order["id"] in {o["id"] for o in got}


async def test_put_with_items_replaces_the_whole_item_list(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    order = next(o for o in store.orders() if len(o["items"]) >= 2)
    keep = order["items"][0]
    await client.put(
        f"/orders/{order['id']}", json={"items": [keep, {"sku": "NEW", "quantity": 2}]}
    )
    items = (await client.get(f"/orders/{order['id']}")).json()["items"]
    assert [i["sku"] for i in items] == [keep["sku"], "NEW"]
    assert items[0]["id"] == keep["id"] and isinstance(items[1]["id"], int)


async def test_put_validation_errors(client: httpx.AsyncClient, store: SandboxStore) -> None:
    order_id = store.orders()[0]["id"]
    for body in ({"fulfillmentStatus": "TELEPORTED"}, {"items": "all"}, ["not", "an", "object"]):
        response = await client.put(f"/orders/{order_id}", json=body)
        assert response.status_code == 400, body
        assert response.json()["errorMessage"]
    response = await client.put(
        f"/orders/{order_id}", content=b"trackingNumber=1", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    response = await client.put(
        f"/orders/{order_id}", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert store.write_log == []


async def test_merchant_side_changes(client: httpx.AsyncClient, store: SandboxStore) -> None:
    stock_before = store.stock_by_sku()["NPF001"]
    placed = store.add_order(
        items=[{"productId": 500_000_001, "sku": "NPF001", "quantity": 2, "name": "x", "id": 1}]
    )
    assert placed["id"].startswith("ACME-") and len(placed["id"]) == 10
    assert store.stock_by_sku()["NPF001"] == stock_before - 2
    newest = (await client.get("/orders", params={"limit": 1})).json()["items"][0]
    assert newest["id"] == placed["id"]
    edited = store.edit_order(placed["id"], {"privateAdminNotes": "call first"})
    assert edited["privateAdminNotes"] == "call first"
    assert store.write_log == []  # merchant edits are not API writes


async def test_email_filter_is_case_insensitive(
    client: httpx.AsyncClient, store: SandboxStore
) -> None:
    order = next(o for o in store.orders() if o["email"] and o["paymentStatus"] != "INCOMPLETE")
    got = await all_pages(client, email=order["email"].upper())
    assert [o["id"] for o in got] == [order["id"]]
