"""`EcwidAPI`: the calls flows and library code depend on, so they can take any
implementation (the real `EcwidClient`; tests point that at the sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from npf_ecwid.ecwid.models import (
    Combination,
    DeletedOrder,
    Order,
    OrderUpdate,
    Product,
    Profile,
    TokenInfo,
    UpdateResult,
)

if TYPE_CHECKING:
    from npf_ecwid.ecwid.batch import BatchRequest, BatchResponse
    from npf_ecwid.ecwid.client import OrderQuery
    from npf_ecwid.ecwid.stats import ClientStats

R = TypeVar("R")


@runtime_checkable
class EcwidAPI(Protocol):
    stats: ClientStats

    async def get_profile(self) -> Profile: ...
    async def get_token_info(self) -> TokenInfo: ...
    async def search_orders(self, query: OrderQuery) -> list[Order]: ...
    async def search_orders_as(
        self, query: OrderQuery, convert: Callable[[Order], R]
    ) -> list[R]: ...
    async def search_deleted_orders(
        self, deleted_from: datetime | None = None, deleted_to: datetime | None = None
    ) -> list[DeletedOrder]: ...
    async def get_order(self, order_id: str) -> Order: ...
    async def get_order_json(self, order_id: str) -> str: ...
    async def update_order(
        self, order_id: str, update: OrderUpdate, *, blind_retry: bool = True
    ) -> UpdateResult: ...
    async def search_products(self, *, sku: str | None = None) -> list[Product]: ...
    async def get_product(self, product_id: int) -> Product: ...
    async def get_combinations(self, product_id: int) -> list[Combination]: ...
    async def update_product(self, product_id: int, body: dict[str, Any]) -> UpdateResult: ...
    async def update_combination(
        self, product_id: int, combination_id: int, body: dict[str, Any]
    ) -> UpdateResult: ...
    async def adjust_product_inventory(self, product_id: int, delta: int) -> UpdateResult: ...
    async def adjust_combination_inventory(
        self, product_id: int, combination_id: int, delta: int
    ) -> UpdateResult: ...
    async def run_batch(
        self, requests: list[BatchRequest], *, poll_interval: float = 0.5
    ) -> list[BatchResponse]: ...
