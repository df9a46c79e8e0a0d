"""The sandbox's product catalogue and stock, stored in Ecwid's JSON shape.

Invariants kept on every write, matching Ecwid:
- an `unlimited` product or variation has no `quantity` key;
- a variation without its own `sku` inherits the product's SKU and stock: it carries neither
  `sku` nor `quantity`, its `inStock` mirrors the product, and inventory writes to it fail
  with 400 "SKU for combination is not set" (api-docs.ecwid.com, adjust variation stock).
`inStock` is computed when a product is read.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from typing import Any

from npf_ecwid.sandbox.errors import ApiError, bad_param, not_found

# Fields a PUT may not change (Ecwid ignores them).
_READ_ONLY = frozenset(
    {"id", "combinations", "inStock", "created", "createTimestamp", "updateTimestamp"}
)


def _in_stock(item: dict[str, Any]) -> bool:
    return bool(item.get("unlimited")) or item.get("quantity", 0) > 0


def _negative_warning(item: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"updateCount": 1}
    quantity = item.get("quantity")
    if quantity is not None and quantity < 0:
        result["warning"] = f"Stock became negative: quantity is {quantity}"
    return result


def _apply_stock_fields(item: dict[str, Any], body: dict[str, Any]) -> None:
    """Apply `quantity`/`unlimited` from a PUT body, keeping the no-quantity-when-unlimited rule."""
    if "quantity" in body:
        quantity = body["quantity"]
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise bad_param(f"Field 'quantity' must be an integer, got {quantity!r}")
        item["quantity"] = quantity
        if "unlimited" not in body:
            item["unlimited"] = False
    if "unlimited" in body:
        item["unlimited"] = bool(body["unlimited"])
        if item["unlimited"]:
            item.pop("quantity", None)
        else:
            item.setdefault("quantity", 0)


def _delta(body: Any) -> int:
    delta = body.get("quantityDelta") if isinstance(body, dict) else None
    if not isinstance(delta, int) or isinstance(delta, bool):
        raise bad_param('Body must be {"quantityDelta": <integer>}')
    return delta


# `sortBy` of `GET /products` (docs/ecwid/api-reference/rest-api/products/search-products.md).
SORT_BY = frozenset(
    {
        "RELEVANCE",
        "DEFINED_BY_STORE_OWNER",
        "ADDED_TIME_DESC",
        "ADDED_TIME_ASC",
        "NAME_ASC",
        "NAME_DESC",
        "PRICE_ASC",
        "PRICE_DESC",
        "UPDATED_TIME_ASC",
        "UPDATED_TIME_DESC",
    }
)


class Catalog:
    """Products keyed by numeric id; SKU index over product and variation SKUs.

    Every write to a product (stock included: Ecwid's `product.updated` fires for stock
    changes) bumps its `updateTimestamp` and a change counter that orders `UPDATED_TIME_*`
    within one second.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._products: dict[int, dict[str, Any]] = {}
        self._sku_index: dict[str, tuple[int, int | None]] | None = None
        self._clock = clock
        self._changes = itertools.count(1)
        self._changed: dict[int, int] = {}

    # --- reading ----------------------------------------------------------------------

    def add_product(self, product: dict[str, Any]) -> None:
        self._products[product["id"]] = product
        self._sku_index = None

    def ids(self) -> list[int]:
        return list(self._products)

    def sorted_ids(self, ids: list[int], sort_by: str) -> list[int]:
        """`ids` in `sortBy` order. Ecwid documents no order for `RELEVANCE` (the default)
        without a keyword; the sandbox serves the most recently changed products first, the
        least convenient plausible order: a client paging without a stable `sortBy` sees
        products move to the front as their stock changes, and misses some."""
        if sort_by in ("RELEVANCE", "UPDATED_TIME_DESC"):
            return sorted(ids, key=self._change_key, reverse=True)
        if sort_by == "UPDATED_TIME_ASC":
            return sorted(ids, key=self._change_key)
        keys: dict[str, Callable[[int], Any]] = {
            "ADDED_TIME": lambda i: (self._products[i].get("createTimestamp", 0), i),
            "NAME": lambda i: (str(self._products[i].get("name", "")).lower(), i),
            "PRICE": lambda i: (self._products[i].get("price", 0), i),
        }
        if sort_by == "DEFINED_BY_STORE_OWNER":
            return sorted(ids)
        name, _, order = sort_by.rpartition("_")
        return sorted(ids, key=keys[name], reverse=order == "DESC")

    def _change_key(self, product_id: int) -> tuple[int, int, int]:
        product = self._products[product_id]
        return (product.get("updateTimestamp", 0), self._changed.get(product_id, 0), product_id)

    def changed(self, product_id: int) -> None:
        """Record a write to the product: `updateTimestamp` now, next change number."""
        product = self.raw(product_id)
        product["updateTimestamp"] = max(int(self._clock()), product.get("updateTimestamp", 0))
        self._changed[product_id] = next(self._changes)

    def raw(self, product_id: int) -> dict[str, Any]:
        product = self._products.get(product_id)
        if product is None:
            raise not_found("PRODUCT_NOT_FOUND", f"Product #{product_id} not found")
        return product

    def combination(self, product_id: int, combination_id: int) -> dict[str, Any]:
        for combination in self.raw(product_id).get("combinations", ()):
            if combination["id"] == combination_id:
                return combination
        raise not_found(
            "COMBINATION_NOT_FOUND",
            f"Combination #{combination_id} not found in product #{product_id}",
        )

    def view(self, product_id: int) -> dict[str, Any]:
        """The product as `GET /products/{id}` returns it (a copy, `inStock` computed)."""
        product = copy.deepcopy(self.raw(product_id))
        for combination in product.get("combinations", ()):
            if "sku" in combination:
                combination["inStock"] = _in_stock(combination)
            else:
                combination["inStock"] = _in_stock(product)
        product["inStock"] = _in_stock(product) or any(
            c["inStock"] for c in product.get("combinations", ())
        )
        return product

    def find_sku(self, sku: str) -> tuple[int, int | None] | None:
        """(product id, combination id or None) holding this exact SKU."""
        if self._sku_index is None:
            index: dict[str, tuple[int, int | None]] = {}
            for product in self._products.values():
                for combination in product.get("combinations", ()):
                    if combination.get("sku"):
                        index.setdefault(combination["sku"], (product["id"], combination["id"]))
                if product.get("sku"):
                    index[product["sku"]] = (product["id"], None)
            self._sku_index = index
        return self._sku_index.get(sku)

    def stock_by_sku(self) -> dict[str, int | None]:
        stock: dict[str, int | None] = {}
        for product in self._products.values():
            if product.get("sku"):
                stock[product["sku"]] = None if product.get("unlimited") else product["quantity"]
            for combination in product.get("combinations", ()):
                if combination.get("sku"):
                    own = None if combination.get("unlimited") else combination["quantity"]
                    stock[combination["sku"]] = own
        return stock

    # --- writing ----------------------------------------------------------------------

    def stock_holder(self, product_id: int, combination_id: int | None) -> dict[str, Any]:
        """The dict whose `quantity` an order line decrements: the variation when it has its
        own SKU, else the product."""
        product = self.raw(product_id)
        if combination_id is None:
            return product
        combination = self.combination(product_id, combination_id)
        return combination if "sku" in combination else product

    def adjust(self, product_id: int, combination_id: int | None, body: Any) -> dict[str, Any]:
        """`PUT .../inventory {"quantityDelta": n}`. Unlimited items stay unlimited (UNVERIFIED:
        Ecwid documents nothing for this case; the sandbox accepts and ignores the delta)."""
        if combination_id is None:
            item = self.raw(product_id)
        else:
            item = self.combination(product_id, combination_id)
            if "sku" not in item:
                raise bad_param("SKU for combination is not set")
        delta = _delta(body)
        self.changed(product_id)
        if item.get("unlimited"):
            return {"updateCount": 1}
        item["quantity"] = item.get("quantity", 0) + delta
        return _negative_warning(item)

    def update_product(self, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """`PUT /products/{id}`: partial update; `combinations` in the body is ignored (Ecwid
        only applies it with `saveCombinations=true`, which the sandbox does not support)."""
        product = self.raw(product_id)
        _apply_stock_fields(product, body)
        for key, value in body.items():
            if key not in _READ_ONLY and key not in ("quantity", "unlimited"):
                product[key] = copy.deepcopy(value)
        if "sku" in body:
            self._sku_index = None
        self.changed(product_id)
        return {"updateCount": 1}

    def update_combination(
        self, product_id: int, combination_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        combination = self.combination(product_id, combination_id)
        if (
            "sku" not in combination
            and "sku" not in body
            and ("quantity" in body or "unlimited" in body)
        ):
            raise bad_param("SKU for combination is not set")
        if body.get("sku"):
            combination["sku"] = body["sku"]
            combination.setdefault("unlimited", False)
            if not combination["unlimited"]:
                combination.setdefault("quantity", 0)
            self._sku_index = None
        _apply_stock_fields(combination, body)
        for key, value in body.items():
            if key not in _READ_ONLY and key not in ("quantity", "unlimited", "sku"):
                combination[key] = copy.deepcopy(value)
        self.changed(product_id)
        return {"updateCount": 1}

    def set_stock(self, sku: str, quantity: int | None) -> None:
        found = self.find_sku(sku)
        if found is None:
            raise KeyError(f"unknown SKU {sku!r}")
        product_id, combination_id = found
        body: dict[str, Any] = {"unlimited": True} if quantity is None else {"quantity": quantity}
        if combination_id is None:
            _apply_stock_fields(self.raw(product_id), body)
        else:
            _apply_stock_fields(self.combination(product_id, combination_id), body)
        self.changed(product_id)


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "WRONG_PARAMETER", "Request body must be a JSON object")
    return body
