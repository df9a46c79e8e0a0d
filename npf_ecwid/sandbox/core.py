"""`SandboxStore`, one emulated Ecwid store: profile, orders, catalogue, and the log of API writes.

The store holds raw Ecwid-shaped dicts (the sandbox speaks JSON, not our models). Dicts
returned by `get_order`/`orders`/`products` are live: treat them as read-only and change
data through `edit_order`, `set_stock`, `add_order` or the API, which bump `version` (and so
invalidate the query cache) and `updateDate`. Nested values are replaced on write, never
mutated, because the generator shares them between orders.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from npf_ecwid.sandbox.catalog import Catalog
from npf_ecwid.sandbox.factory import OrderFactory, ecwid_date
from npf_ecwid.sandbox.order_apply import apply_order_update
from npf_ecwid.sandbox.order_query import OrderFilter

_CACHE_SIZE = 64


@dataclass(frozen=True)
class WriteLogEntry:
    """One write the API accepted (2xx): store-relative `path`, e.g. `/orders/ACME-X8UYE`.
    `batch_ticket` is set when the write ran inside `POST /batch`."""

    method: str
    path: str
    body: Any
    status: int
    at: float  # epoch seconds
    batch_ticket: str | None = None


class SandboxStore:
    """Orders keyed by their string `id` (prefix included), plus indexes by `internalId` and
    by the bare 5-character id, so lookups accept any of the three like Ecwid does."""

    def __init__(
        self,
        store_id: int = 1003,
        *,
        order_prefix: str = "",
        order_suffix: str = "",
        store_name: str = "Sandbox Store",
        seed: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store_id = store_id
        self.order_prefix = order_prefix
        self.order_suffix = order_suffix
        self.store_name = store_name
        self.clock = clock
        self.catalog = Catalog(clock)
        self.app_storage: dict[str, str] = {}  # endpoints_storage; sent as merchantAppSettings
        self.write_log: list[WriteLogEntry] = []
        self.version = 0
        self.lock = threading.RLock()
        self._rng = random.Random(f"{seed}-live")
        self._factory: OrderFactory | None = None
        self._orders: dict[str, dict[str, Any]] = {}
        self._by_internal: dict[int, str] = {}
        self._by_base: dict[str, str] = {}
        self._next_internal = 100_000_001
        self._next_item_id = 700_000_000
        self._sorted: list[dict[str, Any]] | None = None
        self._cache: OrderedDict[OrderFilter, list[dict[str, Any]]] = OrderedDict()
        self._cache_version = -1
        self._deleted: list[dict[str, Any]] = []  # deletion history, oldest first

    # --- app storage --------------------------------------------------------------------

    def merchant_app_settings(self) -> dict[str, str]:
        """What Ecwid puts in `merchantAppSettings` of a shipping request: the app's storage
        for this store, "including public and other keys" (research/ecwid-api.md section 7)."""
        return dict(self.app_storage)

    # --- profile ----------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        return {
            "generalInfo": {
                "storeId": self.store_id,
                "storeUrl": f"https://store{self.store_id}.example.com",
            },
            "account": {"accountName": "NPF Sandbox", "accountEmail": "owner@example.com"},
            "settings": {"storeName": self.store_name, "closed": False},
            "company": {"companyName": self.store_name, "countryCode": "AU", "city": "Melbourne"},
            "formatsAndUnits": {
                "currency": "AUD",
                "currencyPrefix": "$",
                "currencySuffix": "",
                "weightUnit": "KILOGRAM",
                "dimensionsUnit": "CM",
                "timezone": "Australia/Melbourne",
                "orderNumberPrefix": self.order_prefix,
                "orderNumberSuffix": self.order_suffix,
            },
        }

    # --- orders: reading --------------------------------------------------------------

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        """By `id` (with prefix/suffix), bare id, or numeric `internalId`."""
        order = self._orders.get(order_id)
        if order is not None:
            return order
        key = self._by_base.get(order_id)
        if key is None and order_id.isdigit():
            key = self._by_internal.get(int(order_id))
        return self._orders.get(key) if key is not None else None

    def orders(self) -> list[dict[str, Any]]:
        """All orders, INCOMPLETE included, in insertion order."""
        return list(self._orders.values())

    def search_orders(self, filters: OrderFilter) -> list[dict[str, Any]]:
        """Matching orders, newest `createDate` first (ties: higher `internalId` first).

        Ecwid documents no result order for `GET /orders`; this one is the sandbox's choice
        and clients must not depend on it. Results are cached per filter set until the next
        write, so paging through 100k orders filters once, not once per page.
        """
        with self.lock:
            if self._cache_version != self.version:
                self._cache.clear()
                self._cache_version = self.version
            hit = self._cache.get(filters)
            if hit is not None:
                self._cache.move_to_end(filters)
                return hit
            if filters.ids is not None:
                found = {id(o): o for o in map(self.get_order, filters.ids) if o is not None}
                candidates = sorted(found.values(), key=_newest_first)
            else:
                if self._sorted is None:
                    self._sorted = sorted(self._orders.values(), key=_newest_first)
                candidates = self._sorted
            result = filters.select(candidates)
            self._cache[filters] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return result

    # --- orders: writing --------------------------------------------------------------

    def insert_order(self, order: dict[str, Any], base_id: str) -> None:
        """Add a fully built order (generator fast path: no copying, no version bump)."""
        self._orders[order["id"]] = order
        self._sorted = None  # creation order is immutable, so only new orders re-sort
        self._by_internal[order["internalId"]] = order["id"]
        self._by_base[base_id] = order["id"]
        self._next_internal = max(self._next_internal, order["internalId"] + 1)

    def new_item_id(self) -> int:
        self._next_item_id += 1
        return self._next_item_id

    def touch(self) -> None:
        """Record a change: bumps `version`, which drops cached query results."""
        self.version += 1

    def update_order(self, order_id: str, body: Any) -> dict[str, Any]:
        """`PUT /orders/{id}` semantics; raises `ApiError` (404/400)."""
        with self.lock:
            result = apply_order_update(self, order_id, body)
            self.touch()
            return result

    def edit_order(self, order_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A merchant/admin edit (not an API write, so not in `write_log`): same semantics as
        a PUT, bumps `updateDate`. Returns the order. KeyError for an unknown id."""
        if self.get_order(order_id) is None:
            raise KeyError(order_id)
        self.update_order(order_id, changes)
        order = self.get_order(order_id)
        assert order is not None
        return order

    def edit_raw(
        self, order_id: str, changes: dict[str, Any], drop: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Set or remove top-level fields of a stored order exactly as given, bypassing the
        API's checks, and bump `updateDate`: malformed data for tests (a string quantity,
        `items` that is not a list, a missing `id`). The order stays stored under its
        original id. KeyError for an unknown id."""
        with self.lock:
            order = self.get_order(order_id)
            if order is None:
                raise KeyError(order_id)
            order.update(changes)
            for name in drop:
                order.pop(name, None)
            self.stamp_update(order)
            self.touch()
            return order

    def add_order(self, **overrides: Any) -> dict[str, Any]:
        """A new customer order placed now: fresh id with the store's prefix, PAID /
        AWAITING_PROCESSING unless overridden, stock decremented like an Ecwid checkout.
        `overrides` replace top-level fields (e.g. `items=[...]`, `paymentStatus=...`)."""
        with self.lock:
            if self._factory is None:
                self._factory = OrderFactory(self._rng, self.catalog, first_item_id=900_000_000)
            base = self._factory.new_base_id(self._by_base)
            order_id = f"{self.order_prefix}{base}{self.order_suffix}"
            now = self.clock()
            order = self._factory.build(
                order_id, self._next_internal, now, now, "PAID", "AWAITING_PROCESSING"
            )
            order.update(overrides)
            self.insert_order(order, base)
            for line in order["items"]:
                self._decrement(line)
            self.touch()
            return order

    def delete_order(self, order_id: str) -> dict[str, Any] | None:
        """Delete an order (by any of its ids) as Ecwid's admin or `DELETE /orders/{id}` does:
        it leaves every search and lookup, and its `{id, orderId, date}` joins the store's
        deleted-items history (`GET /orders/deleted`). Returns the history entry, or None for
        an unknown order. Stock is left as it is: Ecwid documents no restock on deletion
        (docs/ecwid/api-reference/rest-api/orders/delete-order.md)."""
        with self.lock:
            order = self.get_order(order_id)
            if order is None:
                return None
            key = order["id"]
            # The id indexes keep pointing at the gone key, so lookups find nothing and a new
            # order never gets a deleted order's id (Ecwid never reuses order ids).
            del self._orders[key]
            self._sorted = None
            now = self.clock()
            entry = {
                "id": order["internalId"],
                "orderId": key,
                "date": ecwid_date(now),
                "timestamp": now,
            }
            self._deleted.append(entry)
            self.touch()
            return entry

    def deleted_orders(self) -> list[dict[str, Any]]:
        """The deletion history, oldest first: `{id (internalId), orderId, date, timestamp}`."""
        with self.lock:
            return list(self._deleted)

    def _decrement(self, line: dict[str, Any]) -> None:
        if line.get("productId") not in self.catalog.ids():
            return
        holder = self.catalog.stock_holder(line["productId"], line.get("combinationId"))
        if not holder.get("unlimited"):
            holder["quantity"] = holder.get("quantity", 0) - int(line.get("quantity", 1))
        self.catalog.changed(line["productId"])

    def stamp_update(self, order: dict[str, Any]) -> None:
        now = max(self.clock(), order["createTimestamp"], order["updateTimestamp"])
        order["updateTimestamp"] = int(now)
        order["updateDate"] = ecwid_date(now)

    # --- catalogue --------------------------------------------------------------------

    def products(self) -> list[dict[str, Any]]:
        return [self.catalog.view(product_id) for product_id in self.catalog.ids()]

    def stock_by_sku(self) -> dict[str, int | None]:
        """SKU -> quantity (None = unlimited). A variation without its own SKU is not listed:
        its stock is the product's."""
        return self.catalog.stock_by_sku()

    def set_stock(self, sku: str, quantity: int | None) -> None:
        """A merchant-side stock change (not in `write_log`); None makes the item unlimited."""
        with self.lock:
            self.catalog.set_stock(sku, quantity)
            self.touch()

    # --- API write log ----------------------------------------------------------------

    def log_write(
        self, method: str, path: str, body: Any, status: int, batch_ticket: str | None = None
    ) -> None:
        self.write_log.append(WriteLogEntry(method, path, body, status, self.clock(), batch_ticket))


def _newest_first(order: dict[str, Any]) -> tuple[int, int]:
    return (-order["createTimestamp"], -order["internalId"])
