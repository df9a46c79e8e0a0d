"""Customers and merchants at work: a background thread that keeps changing the sandbox stores
while flows run, through `SandboxStore` methods only (as Ecwid's own checkout and admin would).

Kinds of change: new orders (mostly PAID, some AWAITING_PAYMENT), cancellations (payment
CANCELLED + fulfilment WILL_NOT_DELIVER), address edits (street/postcode, same country),
payment changes (AWAITING_PAYMENT -> PAID, PAID -> REFUNDED), and deletions (any recent
order, shipped or not, as a merchant deleting it in Ecwid's admin).

`history` keeps every (payment, fulfilment) state each order has been in, so the checker can
tell "this order matched the client's filters at some point" from "never matched"; `deleted`
keeps each deleted order as it last was, with the store's deletion time under "_deletedAt".
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any

from bench.chaos.background import Background
from npf_ecwid.sandbox import SandboxStore

State = tuple[str, str]  # (paymentStatus, fulfillmentStatus)
_RECENT = 400  # only recent orders get edited, like real stores
_OPEN = ("AWAITING_PROCESSING", "PROCESSING")


class Mutator(Background):
    """Call `step()` directly (deterministic tests) or `start()`/`stop()` for a thread that
    steps every `interval` seconds."""

    thread_name = "chaos-mutator"

    def __init__(self, stores: list[SandboxStore], *, seed: int = 11, interval: float = 0.2):
        self.stores = stores
        self.rng = random.Random(seed)
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.history: dict[tuple[int, str], set[State]] = defaultdict(set)
        self.deleted: dict[tuple[int, str], dict[str, Any]] = {}
        self._recent: dict[int, list[str]] = {}
        super().__init__()
        for store in stores:
            with store.lock:
                orders = store.orders()
            for order in orders:
                self._remember(store, order)
            self._recent[store.store_id] = [o["id"] for o in orders[-_RECENT:]]

    def _remember(self, store: SandboxStore, order: dict[str, Any]) -> None:
        state = (order.get("paymentStatus", ""), order.get("fulfillmentStatus", ""))
        self.history[(store.store_id, order["id"])].add(state)

    def step(self) -> str:
        """One change in a random store; returns its kind."""
        store = self.rng.choice(self.stores)
        roll = self.rng.random()
        if roll < 0.5:
            return self._new_order(store)
        with store.lock:
            order_id = self.rng.choice(self._recent[store.store_id])
            order = store.get_order(order_id)
            assert order is not None
            payment, fulfilment = order["paymentStatus"], order["fulfillmentStatus"]
            if roll < 0.53:
                return self._delete(store, order)
            if roll < 0.6 and fulfilment in _OPEN and payment != "CANCELLED":
                kind, changes = (
                    "cancel",
                    {
                        "paymentStatus": "CANCELLED",
                        "fulfillmentStatus": "WILL_NOT_DELIVER",
                    },
                )
            elif roll < 0.75 and order.get("shippingPerson", {}).get("street"):
                n = self.rng.randrange(1, 999)
                kind, changes = (
                    "address",
                    {"shippingPerson": {"street": f"{n} Chaos Street", "postalCode": f"{n:04d}"}},
                )
            elif payment == "AWAITING_PAYMENT":
                kind, changes = "paid", {"paymentStatus": "PAID"}
            elif payment == "PAID" and fulfilment in _OPEN and self.rng.random() < 0.3:
                kind, changes = "refund", {"paymentStatus": "REFUNDED"}
            else:
                return self._new_order(store)
            self._remember(store, store.edit_order(order_id, changes))
        self.counts[kind] += 1
        return kind

    def _delete(self, store: SandboxStore, order: dict[str, Any]) -> str:
        """Delete `order` (caller holds the store lock); it leaves the recent list."""
        entry = store.delete_order(order["id"])
        assert entry is not None
        self.deleted[(store.store_id, order["id"])] = {**order, "_deletedAt": entry["timestamp"]}
        self._recent[store.store_id].remove(order["id"])
        self.counts["delete"] += 1
        return "delete"

    def _new_order(self, store: SandboxStore) -> str:
        overrides: dict[str, Any] = {}
        if self.rng.random() < 0.2:
            overrides["paymentStatus"] = "AWAITING_PAYMENT"
        with store.lock:
            order = store.add_order(**overrides)
            self._remember(store, order)
            self._recent[store.store_id].append(order["id"])
            del self._recent[store.store_id][:-_RECENT]
        self.counts["new"] += 1
        return "new"

    def _run(self) -> None:
        while not self._stop.wait(self.rng.uniform(0, 2 * self.interval)):
            self.step()
