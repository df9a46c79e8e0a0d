"""Fixtures: a webhook receiver with a recording trigger, a fixed clock and two clients."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from npf_ecwid.breaker.guard import TokenBreaker
from npf_ecwid.config import parse_client
from npf_ecwid.db import get_engine
from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.service import static_cards
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.loud import Loud
from npf_ecwid.webhooks.receiver import WebhookReceiver
from npf_ecwid.webhooks.signature import SIGNATURE_HEADER, sign
from npf_ecwid.webhooks.stores import static_stores
from tests.dbs import upgraded

SECRET = SecretStr("app-client-secret")
NOW = 1_790_000_000.0
CLIENTS = {
    "ACME": parse_client("ACME", {"store_id": 1003, "token": "env:ACME_TOKEN"}),
    "Bolt": parse_client("Bolt", {"store_id": 2004, "token": "env:BOLT_TOKEN"}),
}


class RecordingTrigger:
    """A real `OrderSyncTrigger` that records the runs it was asked to start."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail
        self._lock = threading.Lock()

    def trigger(self, client_code: str) -> None:
        with self._lock:
            self.calls.append(client_code)
        if self.fail:
            raise ConnectionError("Prefect API unreachable")


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def event(
    event_id: str = "ev-1",
    *,
    created: float = NOW,
    store_id: int = 1003,
    event_type: str = "order.created",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventCreated": int(created),
        "storeId": store_id,
        "entityId": 450012387,
        "eventType": event_type,
        "data": data if data is not None else {"orderId": "ACME-1", "newPaymentStatus": "PAID"},
    }


class Hooks:
    """Sends signed (or deliberately mis-signed) deliveries to the app."""

    def __init__(self, http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
        self.http = http
        self.receiver = receiver

    async def send(
        self, body: dict[str, Any] | bytes, signature: str | None = "auto"
    ) -> httpx.Response:
        headers = {}
        if signature == "auto" and isinstance(body, dict):
            signature = sign(SECRET, body["eventCreated"], body["eventId"])
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post("/webhooks/ecwid", content=content, headers=headers)


@pytest.fixture
def trigger() -> RecordingTrigger:
    return RecordingTrigger()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def alerts() -> list[str]:
    """The alert lines the endpoint sent (a recording sink for `Loud`)."""
    return []


@pytest.fixture
def breaker(tmp_path: Path) -> TokenBreaker:
    return TokenBreaker(get_engine(upgraded(f"sqlite:///{tmp_path / 'breaker.db'}")))


@pytest.fixture
async def hooks(
    trigger: RecordingTrigger, clock: Clock, alerts: list[str], breaker: TokenBreaker
) -> AsyncIterator[Hooks]:
    # A long window: nothing fires by itself during a test; `debouncer.flush()` fires it.
    loud = Loud(alerts.append, clock=clock)
    receiver = WebhookReceiver(
        SECRET,
        static_stores(CLIENTS),
        Debouncer(trigger, 60),
        breaker=breaker,
        loud=loud,
        clock=clock,
    )
    app = create_app(static_cards({}), webhooks=receiver, loud=loud)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hooks"
    ) as http:
        yield Hooks(http, receiver)
        await receiver.debouncer.aclose()
