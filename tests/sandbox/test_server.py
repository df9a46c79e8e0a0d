"""The sandbox over a real socket (uvicorn in a thread)."""

from __future__ import annotations

import httpx
import pytest

from npf_ecwid.sandbox import Sandbox, create_app, serve_in_thread
from tests.sandbox.conftest import STORE_ID, TOKEN


def test_serve_in_thread_answers_over_http(sandbox: Sandbox) -> None:
    with serve_in_thread(create_app(sandbox)) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v3")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=f"{base_url}/{STORE_ID}", headers=headers) as client:
            page = client.get("/orders", params={"limit": 5}).json()
            assert page["count"] == 5 and page["total"] > 5
            order_id = page["items"][0]["id"]
            assert (
                client.put(f"/orders/{order_id}", json={"trackingNumber": "T"}).status_code == 200
            )
            wrong = client.get("/orders", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 403 and wrong.json()["errorMessage"]
            sandbox.faults.drop_rate = 1.0
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/orders")
            sandbox.faults.drop_rate = 0.0
            sandbox.faults.timeout_rate = 1.0
            with pytest.raises(httpx.ReadTimeout):
                client.get("/orders", timeout=0.3)
            sandbox.faults.timeout_rate = 0.0
            assert client.get("/profile").status_code == 200
    assert sandbox.store(STORE_ID).write_log[0].path == f"/orders/{order_id}"
