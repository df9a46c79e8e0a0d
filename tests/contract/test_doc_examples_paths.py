"""Ecwid's doc examples taking the documented path end to end (issue #15 item 6): an order
example pulled from the sandbox into `npf_order`, each webhook body through the receiver, the
shipping request through the rates app, the batch request through the sandbox, the OAuth token
answer through the code exchange."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from npf_ecwid.config import get_client, parse_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.ecwid.batch import BatchStatus
from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.ecwid.models import Order, Page, Profile
from npf_ecwid.migrations import upgrade
from npf_ecwid.onboarding.oauth import exchange_code
from npf_ecwid.orders.filters import plan_query
from npf_ecwid.orders.ports import IntakeBatch
from npf_ecwid.orders.pull import fetch_orders, next_watermark, prepare
from npf_ecwid.orders.quarantine import read_as_sent
from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store
from npf_ecwid.sandbox.oauth import OAuthApp, add_oauth_routes
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.settings import Settings, get_settings
from npf_ecwid.shipping.app import create_app as create_rates_app
from npf_ecwid.shipping.ratecard import DEMO_RATES, load_rate_cards
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, static_keys
from npf_ecwid.shipping.service import static_cards
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.receiver import WebhookReceiver
from npf_ecwid.webhooks.stores import static_stores
from tests.contract.examples import example, examples
from tests.orders.served import PullEnv
from tests.webhooks.conftest import SECRET, Clock, Hooks, RecordingTrigger

# --- orders: the sandbox serves the doc's order, the pull hands it off -----------------------


def place(env: PullEnv, doc_order: dict[str, Any]) -> str:
    """The doc's order as a sandbox order: every field as the docs show it, under an id the
    store hands out (with the client's prefix), so the sandbox's search finds it."""
    generated = env.store.add_order()
    fields = {k: v for k, v in doc_order.items() if k != "id"}
    env.store.edit_raw(generated["id"], fields, drop=tuple(set(generated) - set(fields) - {"id"}))
    return generated["id"]


async def pull_and_hand_off(env: PullEnv) -> tuple[Any, Any, Any]:
    client = get_client(get_settings().clients_file, "ACME")
    async with open_ecwid(client) as ecwid:
        fetched = await fetch_orders(client, ecwid, plan_query(client, None))
        prepared = prepare(client, fetched, set())
        held = [*await read_as_sent(ecwid, prepared.invalid), *prepared.unreadable]
    upgrade(env.engine)
    run_at = datetime.now(UTC)
    SqlOrderIntake(env.engine).commit(
        IntakeBatch(
            "ACME",
            prepared.frames,
            held,
            next_watermark(fetched.latest_update, run_at),
            run_at,
        )
    )
    return fetched, prepared, held


@pytest.fixture
def orders_store():
    return generate_store(1003, orders=5, seed=3)


async def test_order_examples_take_the_documented_pull_path(orders_env: PullEnv) -> None:
    """The search example (paid, a physical line, no shipping address) is held in quarantine
    as unshippable; the get example (digital only) is skipped as nothing to ship; the search
    example with the address of the docs' update example and each transit-time shape is
    handed off. Nothing the docs show is unreadable."""
    searched = example("orders-search.response.json")["items"][0]
    digital = example("order-get.response.json")
    address = example("order-update.request.json")["shippingPerson"]
    no_address = place(orders_env, searched)
    digital_id = place(orders_env, digital)
    shipped = {}
    for transit in (5, "4-9 days", None):
        variant = json.loads(json.dumps(searched))
        variant |= {"shippingPerson": address, "fulfillmentStatus": "AWAITING_PROCESSING"}
        variant["shippingOption"]["estimatedTransitTime"] = transit
        shipped[transit] = place(orders_env, variant)

    fetched, prepared, quarantined = await pull_and_hand_off(orders_env)

    assert fetched.unreadable == ()
    held = {q.ecwid_order_id: q.reason for q in quarantined}
    assert set(held) == {no_address} and "address" in held[no_address].lower()
    assert digital_id in prepared.skipped
    rows = {
        r[0]: r[1:]
        for r in orders_env.rows(
            "SELECT ecwid_order_id, city, country, shipping_method, total_cents FROM npf_order"
        )
    }
    for order_id in shipped.values():
        assert rows[order_id] == ("San Diego", "US", "Shipping", 60000)
    assert no_address not in rows and digital_id not in rows
    lines = orders_env.rows(
        "SELECT sku, quantity FROM npf_order_line WHERE ecwid_order_id = :i", i=shipped[5]
    )
    assert lines == [("000001", 1)]


# --- webhooks: each documented body, signed, through the receiver ------------------------


@pytest.mark.parametrize("name", examples("webhook-"))
async def test_webhook_example_is_acknowledged_and_routed(name: str) -> None:
    """Each documented event is answered 200 (so Ecwid does not retry it); only an
    `order.created`/`order.updated` that is not our own shipment echo, or an `order.deleted`
    (the pull then reads the deleted-orders history), starts an order sync."""
    body = example(name)
    trigger = RecordingTrigger()
    clients = {"ACME": parse_client("ACME", {"store_id": 1003, "token": "env:ACME_TOKEN"})}
    receiver = WebhookReceiver(
        SECRET, static_stores(clients), Debouncer(trigger, 60), clock=Clock(body["eventCreated"])
    )
    app = create_rates_app(static_cards({}), webhooks=receiver)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hooks"
    ) as http:
        response = await Hooks(http, receiver).send(body)
        await receiver.debouncer.flush()
        await receiver.debouncer.aclose()
    assert response.status_code == 200, response.text
    # The docs' order.updated example is PAID -> PAID, PROCESSING -> SHIPPED: our echo rule.
    starts = body["eventType"] in {"order.created", "order.deleted"} and body["storeId"] == 1003
    assert trigger.calls == (["ACME"] if starts else [])


# --- shipping: the documented request gets an answer in the documented shape ----------------


@pytest.mark.parametrize("name", ["shipping-request.json", "shipping-request.2020.json"])
async def test_shipping_request_example_gets_options_in_the_documented_shape(name: str) -> None:
    request = example(name)
    # The store's rates key rides in merchantAppSettings, as Ecwid sends the app's storage.
    request["merchantAppSettings"] = {STORAGE_KEY: "doc-example-key"}
    cards = load_rate_cards(DEMO_RATES)
    app = create_rates_app(
        static_cards({request["storeId"]: cards[1003]}),
        rate_keys=static_keys({request["storeId"]: "doc-example-key"}),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://shipping"
    ) as http:
        response = await http.post("/shipping/rates", content=json.dumps(request).encode())
    assert response.status_code == 200, response.text
    options = response.json()["shippingOptions"]
    assert options
    documented = example("shipping-response.json")["shippingOptions"]
    for option in options:
        for key, value in documented[0].items():  # every documented key, with its JSON type
            assert type(option[key]) in ({float, int} if key == "rate" else {type(value)}), key


# --- batch: the documented request through the sandbox ---------------------------------------


async def test_batch_request_example_runs_in_the_sandbox() -> None:
    store = generate_store(1003, orders=3, seed=1)
    sandbox = Sandbox([store], Faults())
    sandbox.add_token("secret_batch", 1003)
    transport = httpx.ASGITransport(app=create_app(sandbox))
    headers = {"Authorization": "Bearer secret_batch"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox/api/v3/1003", headers=headers
    ) as http:
        created = await http.post("/batch", json=example("batch-create.request.json"))
        assert created.status_code == 200, created.text
        ticket = created.json()["ticket"]
        polled = await http.get("/batch", params={"ticket": ticket})
    status = BatchStatus.model_validate(polled.json())
    assert status.status == "COMPLETED" and [r.id for r in status.responses] == [
        "123456",
        "1234567",
    ]
    assert all(r.ok for r in status.responses), status.responses
    assert Page[Order].model_validate(status.responses[0].http_body).limit == 1
    assert Profile.model_validate(status.responses[1].http_body).general_info.store_id == 1003


# --- OAuth: the sandbox answers in the documented shape and the exchange reads it ------------


def test_oauth_token_answer_has_the_documented_shape() -> None:
    sandbox = Sandbox([generate_store(1003, orders=1, seed=1)], Faults())
    oauth = OAuthApp(sandbox)
    with serve_in_thread(add_oauth_routes(create_app(sandbox), oauth)) as api_url:
        oauth_url = api_url.removesuffix("/v3") + "/oauth"
        settings = Settings(
            ECWID_OAUTH_URL=oauth_url,
            ECWID_APP_CLIENT_ID=oauth.client_id,
            ECWID_APP_CLIENT_SECRET=SecretStr(oauth.client_secret),
        )
        code = oauth.grant_code(1003)
        answer = httpx.post(  # a form body: Ecwid refuses the code in a query string
            f"{oauth_url}/token",
            data={
                "client_id": oauth.client_id,
                "client_secret": oauth.client_secret,
                "code": code,
                "grant_type": "authorization_code",
            },
        ).json()
        token = exchange_code(oauth.grant_code(1003), settings)
    documented = example("oauth-token.response.json")
    assert {k: type(v) for k, v in answer.items()} == {k: type(v) for k, v in documented.items()}
    assert token.store_id == 1003 and token.access_token.get_secret_value().startswith("secret_")


# --- what we send: the documented request bodies, as our client writes them -----------------


async def test_inventory_deltas_are_sent_in_the_documented_shape() -> None:
    """`PUT .../inventory` bodies as the docs' examples show them (products/adjust-product-
    stock.md, product-variations/adjust-product-variation-stock.md): one integer
    `quantityDelta`. Checked on what the sandbox received from our client."""
    store = generate_store(1003, orders=1, seed=1)
    sandbox = Sandbox([store], Faults())
    sandbox.add_token("secret_stock", 1003)
    product = next(p for p in store.products() if p.get("combinations"))
    plain = next(p for p in store.products() if not p.get("combinations") and not p["unlimited"])
    variation = next(c for c in product["combinations"] if c.get("sku"))
    async with EcwidClient(
        base_url="http://sandbox/api/v3",
        store_id=1003,
        token=SecretStr("secret_stock"),
        transport=httpx.ASGITransport(app=create_app(sandbox)),
    ) as ecwid:
        await ecwid.adjust_product_inventory(plain["id"], -1)
        await ecwid.adjust_combination_inventory(product["id"], variation["id"], -1)
    sent = [w.body for w in store.write_log]
    for body, name in zip(
        sent,
        ["product-adjust-stock.request.json", "variation-adjust-stock.request.json"],
        strict=True,
    ):
        documented = example(name)
        assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in documented.items()}
