"""Product, variation and inventory endpoints."""

from __future__ import annotations

from typing import Any

from npf_ecwid.sandbox.catalog import SORT_BY, require_object
from npf_ecwid.sandbox.errors import bad_param
from npf_ecwid.sandbox.params import bool_param, comma_list, envelope, paging
from npf_ecwid.sandbox.router import Call, route


def _product_ids(call: Call) -> list[int]:
    """Ecwid: `productId` (comma list) wins over everything; then `sku` (exact product or
    variation SKU, answering with the parent product); then `keyword`/`enabled`/`inStock`."""
    catalog, query = call.store.catalog, call.query
    wanted = comma_list(query, "productId")
    if wanted is not None:
        try:
            numbers = [int(v) for v in wanted]
        except ValueError:
            raise bad_param(
                "Parameter 'productId' must be a comma-separated list of integers"
            ) from None
        known = set(catalog.ids())
        return [n for n in numbers if n in known]
    sku = query.get("sku")
    if sku is not None:
        found = catalog.find_sku(sku)
        return [] if found is None else [found[0]]
    ids = catalog.ids()
    keyword = (query.get("keyword") or "").lower()
    if keyword:
        ids = [
            i
            for i in ids
            if keyword in catalog.raw(i)["name"].lower()
            or keyword in catalog.raw(i).get("sku", "").lower()
        ]
    if "enabled" in query:
        enabled = bool_param(query, "enabled", True)
        ids = [i for i in ids if catalog.raw(i).get("enabled", True) == enabled]
    if "inStock" in query:
        in_stock = bool_param(query, "inStock", True)
        ids = [i for i in ids if catalog.view(i)["inStock"] == in_stock]
    return ids


@route("GET", "/products", "read_catalog")
def search_products(call: Call) -> dict[str, Any]:
    """`GET /products` in `sortBy` order (docs/ecwid/api-reference/rest-api/products/
    search-products.md; default `RELEVANCE`, see `Catalog.sorted_ids`)."""
    offset, limit = paging(call.query)
    sort_by = call.query.get("sortBy", "RELEVANCE")
    if sort_by not in SORT_BY:
        raise bad_param(f"Parameter 'sortBy' must be one of {', '.join(sorted(SORT_BY))}")
    ids = call.store.catalog.sorted_ids(_product_ids(call), sort_by)
    page = [call.store.catalog.view(i) for i in ids[offset : offset + limit]]
    return envelope(page, len(ids), offset, limit)


@route("GET", "/products/{product_id:int}", "read_catalog")
def get_product(call: Call) -> dict[str, Any]:
    return call.store.catalog.view(call.params["product_id"])


@route("PUT", "/products/{product_id:int}", "update_catalog")
def update_product(call: Call) -> dict[str, Any]:
    result = call.store.catalog.update_product(call.params["product_id"], require_object(call.body))
    call.store.touch()
    return result


@route("PUT", "/products/{product_id:int}/inventory", "update_catalog")
def adjust_product(call: Call) -> dict[str, Any]:
    result = call.store.catalog.adjust(call.params["product_id"], None, call.body)
    call.store.touch()
    return result


@route("GET", "/products/{product_id:int}/combinations", "read_catalog")
def get_combinations(call: Call) -> list[dict[str, Any]]:
    """A plain JSON array, not an envelope (as Ecwid does)."""
    return call.store.catalog.view(call.params["product_id"]).get("combinations", [])


@route("GET", "/products/{product_id:int}/combinations/{combination_id:int}", "read_catalog")
def get_combination(call: Call) -> dict[str, Any]:
    product_id, combination_id = call.params["product_id"], call.params["combination_id"]
    call.store.catalog.combination(product_id, combination_id)  # 404 when unknown
    view = call.store.catalog.view(product_id)
    return next(c for c in view["combinations"] if c["id"] == combination_id)


@route("PUT", "/products/{product_id:int}/combinations/{combination_id:int}", "update_catalog")
def update_combination(call: Call) -> dict[str, Any]:
    result = call.store.catalog.update_combination(
        call.params["product_id"], call.params["combination_id"], require_object(call.body)
    )
    call.store.touch()
    return result


@route(
    "PUT",
    "/products/{product_id:int}/combinations/{combination_id:int}/inventory",
    "update_catalog",
)
def adjust_combination(call: Call) -> dict[str, Any]:
    result = call.store.catalog.adjust(
        call.params["product_id"], call.params["combination_id"], call.body
    )
    call.store.touch()
    return result
