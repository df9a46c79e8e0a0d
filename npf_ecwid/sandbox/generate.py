"""Deterministic sandbox stores: same arguments, same store, byte for byte.

Catalogue: the seed's test items NPF001, NPF004 (variations S and M with their own SKUs and
stock, L without a SKU, so it inherits NPF004's SKU and stock) and NPF005, plus `products`
generated items NPF100.. of which NPF100 (a digital gift card) and NPF101 are unlimited and
NPF102 has three variations with their own SKUs.

Orders: spread over the 90 days before `now`, `updateDate >= createDate`, all payment and
fulfilment statuses (mostly PAID / AWAITING_PROCESSING), mostly AU with some NZ/US/GB,
~8% pickup, multi-line, unicode names, occasional digital lines. Ids are 5-character
alphanumerics; orders created after the first ~30% of the period carry `order_prefix`
(older ones predate the merchant setting it, as in real stores).
"""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime
from typing import Any

from npf_ecwid.sandbox.core import SandboxStore
from npf_ecwid.sandbox.factory import OrderFactory, ecwid_date

PERIOD_S = 90 * 86400
FREEZE_FROM = 20_000  # orders; see generate_store
PREFIX_FROM = 0.3  # share of the period before the merchant set the order prefix

_NAMES = [
    "Merino Beanie",
    "Canvas Tote",
    "Enamel Mug",
    "Linen Apron",
    "Beeswax Wraps",
    "Bamboo Socks",
    "Cork Yoga Mat",
    "Glass Bottle",
    "Wool Throw",
    "Leather Wallet",
    "Soy Candle",
    "Ceramic Bowl",
    "Tea Sampler",
    "Notebook A5",
    "Café Blend Beans",
    "Straw Hat",
    "Silk Scarf",
    "Hemp Cap",
    "Copper Kettle",
    "Oak Board",
]


def _product(
    pid: int, sku: str, name: str, price: float, quantity: int | None, created: float, **extra: Any
) -> dict[str, Any]:
    product: dict[str, Any] = {
        "id": pid,
        "sku": sku,
        "name": name,
        "price": price,
        "unlimited": quantity is None,
        "enabled": True,
        "weight": extra.pop("weight", 0.5),
        "isShippingRequired": True,
        "warningLimit": 0,
        "created": ecwid_date(created),
        "createTimestamp": int(created),
        "updateTimestamp": int(created),
        "combinations": [],
    }
    if quantity is not None:
        product["quantity"] = quantity
    product.update(extra)
    return product


def _combination(
    cid: int, number: int, options: dict[str, str], sku: str | None, quantity: int | None
) -> dict[str, Any]:
    combination: dict[str, Any] = {
        "id": cid,
        "combinationNumber": number,
        "unlimited": False,
        "options": [{"name": k, "value": v} for k, v in options.items()],
    }
    if sku is not None:  # without a SKU the variation inherits the product's SKU and stock
        combination["sku"] = sku
        combination["quantity"] = quantity if quantity is not None else 0
    return combination


def _catalogue(store: SandboxStore, rng: random.Random, count: int, start: float) -> None:
    add = store.catalog.add_product
    add(_product(500_000_001, "NPF001", "NPF test item 1", 19.95, 120, start))
    npf004 = _product(500_000_004, "NPF004", "NPF test item 4 (sizes)", 29.95, 40, start)
    npf004["options"] = [{"type": "SIZE", "name": "Size", "choices": ["S", "M", "L"]}]
    npf004["combinations"] = [
        _combination(600_000_041, 1, {"Size": "S"}, "NPF004-S", 15),
        _combination(600_000_042, 2, {"Size": "M"}, "NPF004-M", 25),
        _combination(600_000_043, 3, {"Size": "L"}, None, None),
    ]
    add(npf004)
    add(_product(500_000_005, "NPF005", "NPF test item 5", 9.5, 300, start))
    for i in range(count):
        pid, sku = 510_000_000 + i * 17, f"NPF{100 + i}"
        name = f"{_NAMES[i % len(_NAMES)]}" + (f" #{i // len(_NAMES) + 1}" if i >= 20 else "")
        price = round(rng.uniform(5, 150), 2)
        if i == 0:
            add(
                _product(
                    pid,
                    sku,
                    "Gift card (digital)",
                    50.0,
                    None,
                    start,
                    weight=0,
                    isShippingRequired=False,
                )
            )
            continue
        quantity = None if i == 1 else rng.choice([0, 3, rng.randint(5, 60), rng.randint(50, 500)])
        product = _product(pid, sku, name, price, quantity, start)
        if i == 2:
            product["options"] = [
                {"type": "SELECT", "name": "Colour", "choices": ["Red", "Blue", "Green"]}
            ]
            product["combinations"] = [
                _combination(
                    610_000_000 + n, n, {"Colour": c}, f"{sku}-{c.upper()}", rng.randint(0, 80)
                )
                for n, c in enumerate(("Red", "Blue", "Green"), start=1)
            ]
        add(product)


def generate_store(
    store_id: int = 1003,
    *,
    orders: int = 500,
    seed: int = 1,
    order_prefix: str = "ACME-",
    products: int = 30,
    now: datetime | None = None,
) -> SandboxStore:
    """A store with `orders` orders and `products` generated products besides the three seed
    items. Deterministic for fixed arguments (pass `now` to pin the dates too)."""
    end = (now or datetime.now(UTC)).timestamp()
    start = end - PERIOD_S
    rng = random.Random(seed)
    store = SandboxStore(
        store_id, order_prefix=order_prefix, store_name=f"Sandbox {store_id}", seed=seed
    )
    _catalogue(store, rng, max(products, 3), start)
    factory = OrderFactory(rng, store.catalog)
    prefix_from = start + PREFIX_FROM * PERIOD_S
    rnd = rng.random
    created_times = sorted(start + rnd() * PERIOD_S for _ in range(orders))
    # A million fresh dicts would trigger many full cyclic-GC passes; orders hold no cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _orders(store, factory, created_times, order_prefix, prefix_from, end)
    finally:
        if gc_was_enabled:
            gc.enable()
    if orders >= FREEZE_FROM:
        # Move the new objects out of the cyclic GC's reach: otherwise the next full
        # collection walks millions of dicts (measured: the first query over 100k orders took
        # seconds). Refcounting still frees them; orders hold no reference cycles.
        gc.freeze()
    return store


def _orders(
    store: SandboxStore,
    factory: OrderFactory,
    created_times: list[float],
    order_prefix: str,
    prefix_from: float,
    end: float,
) -> None:
    rnd = factory.rng.random
    taken: set[str] = set()
    for n, created in enumerate(created_times):
        base = factory.new_base_id(taken)
        taken.add(base)
        order_id = f"{order_prefix}{base}" if created >= prefix_from else base
        payment, fulfilment = factory.statuses()
        quiet = fulfilment == "AWAITING_PROCESSING" and payment != "CANCELLED"
        updated = min(end, created + (rnd() * 600 if quiet else rnd() * 10 * 86400))
        order = factory.build(order_id, 100_000_001 + n, created, updated, payment, fulfilment)
        store.insert_order(order, base)
