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
