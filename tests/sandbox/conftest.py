"""Sandbox fixtures: a small deterministic store served in-process over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from npf_ecwid.sandbox import Faults, Sandbox, SandboxStore, create_app, generate_store

STORE_ID = 1003
TOKEN = "test-token"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> SandboxStore:
    return generate_store(STORE_ID, orders=300, seed=7, now=NOW)


@pytest.fixture
def sandbox(store: SandboxStore) -> Sandbox:
    sandbox = Sandbox([store], Faults())
    sandbox.add_token(TOKEN, STORE_ID)
    return sandbox


def make_client(sandbox: Sandbox, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(create_app(sandbox)),
        base_url=f"http://sandbox/api/v3/{STORE_ID}",
        headers=headers,
    )


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(sandbox) as client:
        yield client
