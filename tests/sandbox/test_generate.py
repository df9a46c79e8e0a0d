"""The deterministic store generator."""

from __future__ import annotations

import time
from collections import Counter

from npf_ecwid.sandbox import generate_store
from tests.sandbox.conftest import NOW


def test_same_arguments_same_store() -> None:
    one = generate_store(orders=200, seed=3, now=NOW)
    two = generate_store(orders=200, seed=3, now=NOW)
    assert one.orders() == two.orders()
    assert one.products() == two.products()
    assert generate_store(orders=200, seed=4, now=NOW).orders() != one.orders()


def test_generated_orders_cover_what_integrations_meet() -> None:
    store = generate_store(orders=3000, seed=1, now=NOW)
    orders = store.orders()
    payment = Counter(o["paymentStatus"] for o in orders)
    fulfilment = Counter(o["fulfillmentStatus"] for o in orders)
    assert payment.most_common(1)[0][0] == "PAID"
    assert fulfilment.most_common(1)[0][0] == "AWAITING_PROCESSING"
    assert len(payment) == 9 and len(fulfilment) == 11  # every Ecwid status appears
    countries = Counter(o["shippingPerson"].get("countryCode") for o in orders)
    assert countries.most_common(1)[0][0] == "AU" and {"NZ", "US", "GB"} <= set(countries)
    pickups = [o for o in orders if o["shippingOption"]["isPickup"]]
    assert pickups and all("street" not in o["shippingPerson"] for o in pickups)
    assert all(o["shippingOption"]["fulfillmentType"] == "PICKUP" for o in pickups)
    assert any(len(o["items"]) > 1 for o in orders)
    assert any(i["digital"] for o in orders for i in o["items"])
    assert any(not o["shippingPerson"]["name"].isascii() for o in orders)
    ids = [o["id"].removeprefix("ACME-") for o in orders]
    assert len(set(ids)) == len(ids)
    assert all((len(i) == 5 and i.isalnum() and i.isupper()) or i.isdigit() for i in ids)
    span = max(o["createTimestamp"] for o in orders) - min(o["createTimestamp"] for o in orders)
    assert span > 80 * 86400


def test_catalogue_has_seed_items_variations_and_unlimited() -> None:
    store = generate_store(orders=0, now=NOW)
    stock = store.stock_by_sku()
    assert {"NPF001", "NPF004", "NPF004-S", "NPF004-M", "NPF005"} <= set(stock)
    assert list(stock.values()).count(None) == 2  # two unlimited products
    npf004 = next(p for p in store.products() if p["sku"] == "NPF004")
    inherited = [c for c in npf004["combinations"] if "sku" not in c]
    assert len(inherited) == 1 and "quantity" not in inherited[0]


def test_100k_orders_generate_in_seconds() -> None:
    started = time.perf_counter()
    store = generate_store(orders=100_000, seed=1)
    elapsed = time.perf_counter() - started
    print(f"generated 100,000 orders in {elapsed:.2f} s")
    assert len(store.orders()) == 100_000
    assert elapsed < 60  # a sanity bound only; the machine is shared


def test_transit_time_comes_in_every_documented_shape() -> None:
    """`estimatedTransitTime` is `number/string` in the docs
    (docs/ecwid/api-reference/rest-api/orders/search-orders.md): the generated orders carry a
    number, strings, and no value (pickups), so every test and the demo meet each shape."""
    shapes = Counter(
        type(o["shippingOption"].get("estimatedTransitTime")).__name__
        for o in generate_store(orders=1000, seed=2, now=NOW).orders()
    )
    assert shapes["int"] > 50 and shapes["str"] > 50 and shapes["NoneType"] > 10
