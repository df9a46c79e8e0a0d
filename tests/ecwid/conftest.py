"""Contract-test fixtures: a fresh sandbox store per test, reached over the httpx ASGI transport
or over a real uvicorn socket (`wire` parameter), and an `EcwidClient` with fast retries.

Each test gets its own token, so the process-wide per-token limiter starts empty, as it
would for a fresh Ecwid token.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.sandbox.store import SandboxStore, generate_store

STORE_ID = 1003


@dataclass
class Wire:
    """Where the client finds the sandbox: API root URL and (for ASGI) a transport."""

    api_url: str
    transport: httpx.AsyncBaseTransport | None
    token: SecretStr

    def client(self, **options: Any) -> EcwidClient:
        settings = {"timeout": 5.0, "backoff_base": 0.01, "backoff_max": 0.05, **options}
        return EcwidClient(
            base_url=self.api_url,
            store_id=STORE_ID,
            token=self.token,
            transport=self.transport,
            **settings,
        )


@pytest.fixture
def store() -> SandboxStore:
    return generate_store(STORE_ID, orders=320, seed=5, order_prefix="ACME-")


@pytest.fixture
def token() -> SecretStr:
    return SecretStr(f"secret_client_test_{uuid.uuid4().hex}")


@pytest.fixture
def sandbox(store: SandboxStore, token: SecretStr) -> Sandbox:
    sandbox = Sandbox([store], faults=Faults())
    sandbox.add_token(token.get_secret_value(), STORE_ID)
    return sandbox


@pytest.fixture(params=["asgi", "http"])
def wire(request: pytest.FixtureRequest, sandbox: Sandbox, token: SecretStr) -> Iterator[Wire]:
    app = create_app(sandbox)
    if request.param == "asgi":
        yield Wire("http://sandbox.test/api/v3", httpx.ASGITransport(app=app), token)
    else:
        with serve_in_thread(app) as api_url:
            yield Wire(api_url, None, token)


@pytest.fixture
async def ecwid(wire: Wire) -> AsyncIterator[EcwidClient]:
    async with wire.client() as client:
        yield client
