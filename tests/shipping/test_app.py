"""`POST /shipping/rates` over ASGI: Ecwid's example, pickup, and every kind of bad input."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

import httpx
import pytest

from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.models import MAX_CART_LINES
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, static_keys
from tests.shipping.conftest import KEYS

OPTION_KEYS = {"title", "rate", "transitDays", "description", "fulfilmentType"}


async def post(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/shipping/rates", content=content)


async def test_seed_request_gets_international_options_in_ecwids_shape(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    response = await post(client, seed)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["shippingOptions"]
    options = body["shippingOptions"]
    assert options, "the documented US example must get options from the demo card"
    for option in options:
        assert set(option) == OPTION_KEYS
        assert isinstance(option["rate"], float | int) and option["rate"] >= 0
        assert round(option["rate"], 2) == option["rate"]
        assert isinstance(option["transitDays"], str)
        assert option["fulfilmentType"] == "SHIPPING"
    # 120 kg (dead weight beats 1.5 kg cubic): 140 for 20 kg + 100 x 6/kg + 2.50 handling
    assert options[0] == {
        "title": "International economy",
        "rate": 742.5,
        "transitDays": "6-15",
        "description": "Tracked airmail. Duties and taxes are paid by the receiver.",
        "fulfilmentType": "SHIPPING",
    }


async def test_seed_without_shipping_address_gets_pickup_only(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    del seed["cart"]["shippingAddress"]
    response = await post(client, seed)
    assert response.status_code == 200
    (option,) = response.json()["shippingOptions"]
    assert option["fulfilmentType"] == "PICKUP"
    assert option["rate"] == 0
    assert "Tullamarine" in option["description"]


async def test_australian_metro_address(client: httpx.AsyncClient, seed: dict[str, Any]) -> None:
    seed["cart"].update(weight=2, weightUnit="KILOGRAM", predictedPackages=None, subtotal=40)
    seed["cart"]["items"][0]["weight"] = 2
    seed["cart"]["shippingAddress"] = {
        "countryCode": "AU",
        "stateOrProvinceCode": "VIC",
        "postalCode": "3043",
        "city": "Tullamarine",
    }
    options = (await post(client, seed)).json()["shippingOptions"]
    # 2 kg, cubic 1.5 kg: the 3 kg band, + 2.50 handling
    assert [(o["title"], o["rate"]) for o in options] == [
        ("Standard (tracked)", 13.45),
        ("Express", 18.45),
    ]


async def test_unknown_destination_gets_empty_options(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    seed["cart"]["shippingAddress"] = {"countryCode": None, "city": "Nowhere"}
    response = await post(client, seed)
    assert response.status_code == 200 and response.json() == {"shippingOptions": []}


def _without_cart(seed: dict[str, Any]) -> dict[str, Any]:
    del seed["cart"]
    return seed


def _negative_item_weight(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"]["items"][0]["weight"] = -1
    return seed


def _negative_cart_weight(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"]["weight"] = -0.5
    return seed


def _negative_dimension(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"]["predictedPackages"][0]["height"] = -30
    return seed


def _unknown_weight_unit(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"]["weightUnit"] = "STONE"
    return seed


def _missing_weight_unit(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"]["weightUnit"] = None
    return seed


def _missing_store(seed: dict[str, Any]) -> dict[str, Any]:
    del seed["storeId"]
    return seed


def _cart_not_object(seed: dict[str, Any]) -> dict[str, Any]:
    seed["cart"] = [1, 2]
    return seed


def _nan_weight(seed: dict[str, Any]) -> bytes:
    return json.dumps(seed).replace('"weight": 120', '"weight": NaN', 1).encode()


@pytest.mark.parametrize(
    ("mutate", "status", "error", "message"),
    [
        (_without_cart, 422, "invalid_request", "cart: Field required"),
        (_missing_store, 422, "invalid_request", "storeId: Field required"),
        (_cart_not_object, 422, "invalid_request", "cart: Input should be an object"),
        (
            _negative_item_weight,
            422,
            "invalid_request",
            "cart.items.0.weight: Input should be greater than or equal to 0",
        ),
        (
            _negative_cart_weight,
            422,
            "invalid_request",
            "cart.weight: Input should be greater than or equal to 0",
        ),
        (
            _negative_dimension,
            422,
            "invalid_request",
            "cart.predictedPackages.0.height: Input should be greater",
        ),
        (
            _unknown_weight_unit,
            422,
            "invalid_request",
            "cart.weightUnit: unknown weight unit 'STONE'",
        ),
        (
            _missing_weight_unit,
            422,
            "invalid_request",
            "weightUnit is required when the cart has weights",
        ),
        (_nan_weight, 422, "invalid_request", "weight: Input should be a finite number"),
    ],
)
async def test_bad_cart_gets_4xx_with_a_clear_message(
    client: httpx.AsyncClient,
    seed: dict[str, Any],
    mutate: Any,
    status: int,
    error: str,
    message: str,
) -> None:
    response = await post(client, mutate(seed))
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert message in body["message"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("content", "status", "error"),
    [
        (b"", 400, "invalid_json"),
        (b"not json", 400, "invalid_json"),
        (b'{"storeId": 1003, "cart": {', 400, "invalid_json"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b"[1, 2, 3]", 422, "invalid_request"),
        (b"null", 422, "invalid_request"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
        (b"{" + b" " * 1_000_001 + b"}", 413, "too_large"),
    ],
)
async def test_body_that_is_not_a_json_object(
    client: httpx.AsyncClient, content: bytes, status: int, error: str
) -> None:
    response = await post(client, content)
    assert (response.status_code, response.json()["error"]) == (status, error)


async def test_keyed_store_without_a_card_is_404_naming_the_store(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    seed["storeId"] = 4242
    seed["merchantAppSettings"] = {STORAGE_KEY: KEYS[4242]}
    response = await post(client, seed)
    assert response.status_code == 404
    assert response.json() == {"error": "unknown_store", "message": "no rate card for store 4242"}


async def test_wrong_method_and_path_are_json_errors(client: httpx.AsyncClient) -> None:
    wrong_method = await client.get("/shipping/rates")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "http_error"
    missing = await client.post("/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "http_error"


async def test_unexpected_error_is_a_clean_500_and_is_logged(
    seed: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken_cards() -> dict[int, Any]:
        raise RuntimeError("secret internals /etc/npf/rates.toml")

    app = create_app(broken_cards, rate_keys=static_keys(KEYS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping") as http:
        with caplog.at_level(logging.ERROR):
            response = await post(http, seed)
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "internal error; it has been logged",
    }
    assert "internals" not in response.text
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


async def test_webhooks_without_a_secret_are_acknowledged_and_loud_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A 503 would make Ecwid retry and, after two weeks, block the app's webhooks: 200, and an
    # ERROR line plus an alert for the operator, once an hour however many arrive.
    from npf_ecwid.shipping.service import static_cards
    from npf_ecwid.webhooks.loud import Loud

    alerts: list[str] = []
    app = create_app(static_cards({}), loud=Loud(alerts.append))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hooks"
    ) as http:
        with caplog.at_level("ERROR"):
            answers = [await http.post("/webhooks/ecwid", content=b"{}") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[0].json() == {"status": "not_configured"}
    assert len(alerts) == 1 and "ECWID_APP_CLIENT_SECRET is not set" in alerts[0]
    assert sum("ECWID_APP_CLIENT_SECRET" in r.message for r in caplog.records) == 1


async def test_billion_metre_boxes_are_a_422_not_a_500(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    """1e9 m is within each field's bounds; the cubic weight (~2.5e29 kg) is not priceable."""
    cart = seed["cart"]
    cart["dimensionUnit"] = "M"
    cart.pop("predictedPackages", None)
    cart["items"][0]["dimensions"] = {"length": 1e9, "width": 1e9, "height": 1e9}
    response = await post(client, seed)
    assert response.status_code == 422, response.text
    assert "chargeable weight is over 100000 kg" in response.json()["message"]


async def test_a_cart_over_the_line_cap_is_a_422(
    client: httpx.AsyncClient, seed: dict[str, Any]
) -> None:
    line = {"weight": 0.1, "amount": 1, "sku": "S"}
    seed["cart"]["items"] = [line] * (MAX_CART_LINES + 1)
    response = await post(client, seed)
    assert response.status_code == 422
    assert "cart.items: List should have at most 1000 items" in response.json()["message"]
    seed["cart"]["items"] = [line] * MAX_CART_LINES
    assert (await post(client, seed)).status_code == 200


async def test_webhooks_and_healthz_answer_while_a_quote_runs(
    demo_cards: dict[int, Any], seed: dict[str, Any]
) -> None:
    """A quote holds its thread (here: a rate-card lookup that waits for the test to let it
    go); the event loop stays free, so webhooks and /healthz answer meanwhile. When quotes ran
    on the loop, the webhook waited for the whole quote (here the 10 s gate)."""
    entered, release = threading.Event(), threading.Event()

    def held_cards() -> dict[int, Any]:
        entered.set()
        release.wait(10)
        return demo_cards

    app = create_app(held_cards, rate_keys=static_keys(KEYS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping") as http:
        started = time.monotonic()
        quoting = asyncio.create_task(post(http, seed))
        await asyncio.to_thread(entered.wait, 10)  # the quote is in its lookup
        webhook = await http.post("/webhooks/ecwid", content=b"{}")
        health = await http.get("/healthz")
        waited = time.monotonic() - started
        release.set()
        quoted = await quoting
    assert webhook.status_code == 200 and health.status_code == 200  # answered, not queued
    assert webhook.json() == {"status": "not_configured"}
    assert waited < 2, f"the webhook waited {waited:.1f} s behind a quote"
    assert quoted.status_code == 200 and quoted.json()["shippingOptions"]
