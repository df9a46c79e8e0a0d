"""Authentication and authorisation as Ecwid answers them."""

from __future__ import annotations

import httpx

from npf_ecwid.sandbox import ALL_SCOPES, Sandbox, generate_store
from tests.sandbox.conftest import NOW, STORE_ID, TOKEN, make_client


async def test_wrong_missing_and_query_tokens_are_403(sandbox: Sandbox) -> None:
    for token in ("wrong", None):
        async with make_client(sandbox, token) as client:
            response = await client.get("/orders")
            assert response.status_code == 403
            assert response.json()["errorCode"] == "INVALID_API_TOKEN"
            assert response.json()["errorMessage"]
    async with make_client(sandbox, None) as client:
        response = await client.get("/orders", params={"token": TOKEN})
        assert response.status_code == 403  # Ecwid stopped accepting ?token= in March 2025
        assert "Bearer" in response.json()["errorMessage"]


async def test_revoked_token_is_403(sandbox: Sandbox) -> None:
    async with make_client(sandbox) as client:
        assert (await client.get("/profile")).status_code == 200
        sandbox.revoke_token(TOKEN)
        assert (await client.get("/profile")).status_code == 403


async def test_missing_scope_is_403_insufficient_app_scope(sandbox: Sandbox) -> None:
    sandbox.add_token("read-only", STORE_ID, scopes=["read_store_profile", "read_orders"])
    async with make_client(sandbox, "read-only") as client:
        order_id = (await client.get("/orders", params={"limit": 1})).json()["items"][0]["id"]
        response = await client.put(f"/orders/{order_id}", json={"trackingNumber": "1"})
        assert response.status_code == 403
        assert response.json()["errorCode"] == "INSUFFICIENT_APP_SCOPE"
        assert (await client.get("/products")).status_code == 403
        info = (await client.get("/application/token")).json()
        assert sorted(info["permissions"]) == ["read_orders", "read_store_profile"]


async def test_unknown_store_and_foreign_token(sandbox: Sandbox) -> None:
    other = generate_store(2002, orders=5, now=NOW)
    sandbox.add_store(other)
    sandbox.add_token("other-token", 2002, ALL_SCOPES)
    async with make_client(sandbox) as client:
        response = await client.get("http://sandbox/api/v3/9999/orders")
        assert response.status_code == 404
        assert response.json()["errorCode"] == "STORE_NOT_FOUND"
        response = await client.get("http://sandbox/api/v3/2002/orders")
        assert response.status_code == 403  # a token only opens its own store
    async with make_client(sandbox, "other-token") as client:
        profile = (await client.get("http://sandbox/api/v3/2002/profile")).json()
        assert profile["generalInfo"]["storeId"] == 2002


async def test_profile_shape(client: httpx.AsyncClient) -> None:
    profile = (await client.get("/profile")).json()
    assert profile["generalInfo"]["storeId"] == STORE_ID
    units = profile["formatsAndUnits"]
    assert units["orderNumberPrefix"] == "ACME-"
    assert units["orderNumberSuffix"] == ""
    assert (units["currency"], units["weightUnit"]) == ("AUD", "KILOGRAM")
    assert units["timezone"] == "Australia/Melbourne"
    assert profile["settings"]["storeName"]


async def test_unknown_path_is_404_and_wrong_method_405(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nothing-here")).status_code == 404
    assert (await client.post("/orders", json={})).status_code == 405


async def test_an_ip_sending_dead_tokens_gets_blocked_for_every_token(sandbox: Sandbox) -> None:
    # Ecwid: "block it for much longer after 20 requests per minute or a total of 600
    # requests with non-working tokens per IP"; the block hits the good tokens from that IP too.
    async with make_client(sandbox, "dead-token") as dead, make_client(sandbox) as good:
        assert (await good.get("/profile")).status_code == 200
        answers = [(await dead.get("/profile")).status_code for _ in range(21)]
        assert answers == [403] * 20 + [429]
        blocked = await good.get("/profile")
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 60
    assert sandbox.requests_with("dead-token") == 21


async def test_the_total_of_dead_token_requests_also_blocks(sandbox: Sandbox) -> None:
    sandbox.faults.bad_token_total = 5
    async with make_client(sandbox, "dead-token") as dead:
        answers = [(await dead.get("/profile")).status_code for _ in range(6)]
    assert answers == [403] * 5 + [429]


def test_a_revoked_token_can_be_replaced(sandbox: Sandbox) -> None:
    sandbox.revoke_token(TOKEN)
    sandbox.replace_token(TOKEN, "new-token")
    grant = sandbox.grant("new-token")
    assert grant is not None and grant.store_id == STORE_ID and sandbox.grant(TOKEN) is None
