"""The app as `shipping serve` builds it, over a real socket (uvicorn on 127.0.0.1).

Settings from a temporary clients file with `rates.toml` beside it; the trigger is a real
in-memory `OrderSyncTrigger` that signals when called, so no test waits on a timer.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from npf_ecwid.settings import Settings
from npf_ecwid.shipping.ratecard import DEMO_RATES
from npf_ecwid.shipping.rates_keys import static_keys
from npf_ecwid.shipping.server import SAMPLE_KEY, build_app, sample_request
from npf_ecwid.webhooks.signature import SIGNATURE_HEADER, sign

from .conftest import SECRET

CLIENTS = """
[clients.ACME]
store_id = 1003
token = "env:ACME_TOKEN"
"""


class SignallingTrigger:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.called = threading.Semaphore(0)

    def trigger(self, client_code: str) -> None:
        self.calls.append(client_code)
        self.called.release()


def serve(app: object) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue in the kernel until uvicorn accepts them
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[str, SignallingTrigger, Path]]:
    clients = tmp_path / "clients.toml"
    clients.write_text(CLIENTS, encoding="utf-8")
    shutil.copy(DEMO_RATES, tmp_path / "rates.toml")
    settings = Settings(NPF_CLIENTS=clients, ECWID_APP_CLIENT_SECRET=SECRET.get_secret_value())
    trigger = SignallingTrigger()
    app = build_app(
        settings, trigger=trigger, debounce_seconds=0.05, rate_keys=static_keys({1003: SAMPLE_KEY})
    )
    yield from ((url, trigger, tmp_path) for url in serve(app))


def signed(event_id: str, store_id: int) -> tuple[bytes, dict[str, str]]:
    created = int(time.time())
    body = {
        "eventId": event_id,
        "eventCreated": created,
        "storeId": store_id,
        "eventType": "order.created",
        "data": {"orderId": "X-1"},
    }
    return json.dumps(body).encode(), {SIGNATURE_HEADER: sign(SECRET, created, event_id)}


def test_rates_and_webhooks_over_a_socket(setup: tuple[str, SignallingTrigger, Path]) -> None:
    url, trigger, folder = setup
    with httpx.Client(base_url=url, timeout=10) as http:
        rates = http.post("/shipping/rates", content=sample_request(SAMPLE_KEY))
        assert rates.status_code == 200
        assert [o["title"] for o in rates.json()["shippingOptions"]] == [
            "International economy",
            "International express",
        ]

        body, headers = signed("e-1", 1003)
        assert http.post("/webhooks/ecwid", content=body, headers=headers).json() == {
            "status": "queued"
        }
        assert trigger.called.acquire(timeout=10)
        assert trigger.calls == ["ACME"]

        # a client added to the clients file while serving is picked up without a restart
        body, headers = signed("e-2", 2004)
        assert http.post("/webhooks/ecwid", content=body, headers=headers).json()["status"] == (
            "ignored"
        )
        with (folder / "clients.toml").open("a", encoding="utf-8") as file:
            file.write('\n[clients.BOLT]\nstore_id = 2004\ntoken = "env:BOLT_TOKEN"\n')
        body, headers = signed("e-3", 2004)
        assert http.post("/webhooks/ecwid", content=body, headers=headers).json() == {
            "status": "queued"
        }
        assert trigger.called.acquire(timeout=10)
        assert trigger.calls == ["ACME", "BOLT"]


def test_a_broken_rates_edit_keeps_the_last_good_card(
    setup: tuple[str, SignallingTrigger, Path],
) -> None:
    url, _, folder = setup
    with httpx.Client(base_url=url, timeout=10) as http:
        before = http.post("/shipping/rates", content=sample_request(SAMPLE_KEY)).json()
        (folder / "rates.toml").write_text("[stores.1003]\ncubic_factor = -1\n", encoding="utf-8")
        after = http.post("/shipping/rates", content=sample_request(SAMPLE_KEY))
        assert after.status_code == 200 and after.json() == before
