"""The async Ecwid REST v3 client: typed calls for the endpoints the integration uses.

Use it as `async with EcwidClient(...) as ecwid:`; build it from config with
`npf_ecwid.connect.open_ecwid`. Every call goes through one `httpx.AsyncClient` over the
transport stack of `transport.py` (the token's shared rate limiter, the retry policy in
`retry.py`, typed errors in `errors.py`, connection pools, stats).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr, TypeAdapter

from npf_ecwid.ecwid.batch import BatchRequest, BatchResponse, run_batch
from npf_ecwid.ecwid.errors import EcwidAuthError
from npf_ecwid.ecwid.models import (
    Combination,
    DeletedOrder,
    Order,
    OrderUpdate,
    Page,
    Product,
    Profile,
    TokenInfo,
    UpdateResult,
)
from npf_ecwid.ecwid.paging import (
    MAX_REPAIR_ROUNDS,
    PAGE_SIZE,
    SHORT_PAGE_READS,
    EcwidShortPage,
    PagingKeptChanging,
    bridge_offsets,
    cut_short,
    page_offsets,
    parse_page,
)
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter, limiter_for
from npf_ecwid.ecwid.retry import RetryPolicy
from npf_ecwid.ecwid.session import BearerAuth, parse
from npf_ecwid.ecwid.stats import ClientStats
from npf_ecwid.ecwid.transport import ecwid_transport, request_extensions
from npf_ecwid.newest import newest_by_id

log = logging.getLogger("npf_ecwid.ecwid")

_COMBINATIONS = TypeAdapter(list[Combination])

# Called with the 401/403 error and the call (`GET /orders`) the first time Ecwid refuses the
# token; returns True when it counts as a token refusal (the client then sends nothing more).
RefusalHook = Callable[[EcwidAuthError, str], bool]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


class OrderQuery(BaseModel):
    """Filters for `GET /orders` (docs/ecwid/api-reference/rest-api/orders/search-orders.md).
    Datetimes must be timezone-aware; they are sent as UNIX seconds.

    Empty means "no filter". With no `payment_statuses`, Ecwid leaves out INCOMPLETE
    (unfinished) orders. The order pull plans one per run (`orders.filters.plan_query`).
    """

    model_config = ConfigDict(frozen=True)

    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    updated_from: AwareDatetime | None = None
    updated_to: AwareDatetime | None = None
    payment_statuses: tuple[str, ...] = ()
    fulfillment_statuses: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, key in (
            ("created_from", "createdFrom"),
            ("created_to", "createdTo"),
            ("updated_from", "updatedFrom"),
            ("updated_to", "updatedTo"),
        ):
            value = getattr(self, name)
            if value is not None:
                params[key] = str(int(value.timestamp()))
        for values, key in (
            (self.payment_statuses, "paymentStatus"),
            (self.fulfillment_statuses, "fulfillmentStatus"),
            (self.ids, "ids"),
        ):
            if values:
                params[key] = ",".join(values)
        return params

    def __str__(self) -> str:
        """For the run log: what Ecwid is asked for (the pull applies its other filters
        locally)."""

        def moment(value: datetime | None) -> str:
            return value.isoformat() if value is not None else "any time"

        return (
            f"orders created from {moment(self.created_from)}, "
            f"updated from {moment(self.updated_from)}, "
            f"payment {','.join(self.payment_statuses) or 'any'}, "
            f"fulfilment {','.join(self.fulfillment_statuses) or 'any'}"
        )


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


class _StorageWrite(BaseModel):
    success: bool


class EcwidClient:
    """One store's Ecwid API. Safe for many concurrent calls on one event loop.

    `base_url` is the API root (`…/api/v3`); requests go to `{base_url}/{store_id}/…`.
    `limiter` defaults to the token's process-wide limiter (`limiter_for(token)`: 600 per
    rolling 60 s). `transport` replaces the connection pools at the bottom of the stack (tests:
    the sandbox's ASGI app); the limiter, retries and stats stay above it. `max_attempts`,
    `backoff_base`, `backoff_max` (seconds) shape the retries' jittered exponential backoff;
    tests pass small values instead of sleeping. `timeout` bounds each attempt as a whole.
    `on_refused` (see `RefusalHook`; the token breaker) hears of a refused token; once it says
    the token is refused, every further call of this client fails at once with that error,
    unsent: concurrent pages or pushes of a run stop there.
    """

    def __init__(
        self,
        *,
        base_url: str,
        store_id: int,
        token: SecretStr,
        limiter: SlidingWindowLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_concurrency: int = 32,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self.store_id = store_id
        self.on_refused = on_refused
        self._refused: EcwidAuthError | None = None
        self.base_url = f"{base_url.rstrip('/')}/{store_id}"
        self.limiter = limiter if limiter is not None else limiter_for(token)
        self.stats = ClientStats()
        self.policy = RetryPolicy(max_attempts, backoff_base, backoff_max)
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=BearerAuth(token),
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "npf-ecwid"},
            transport=ecwid_transport(
                base_url=self.base_url,
                limiter=self.limiter,
                stats=self.stats,
                policy=self.policy,
                timeout=timeout,
                max_concurrency=max_concurrency,
                transport=transport,
            ),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store_id={self.store_id}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one logical request (retried by the transport as `retry.py` says; `idempotent`
        False: never re-sent once it may have reached Ecwid); returns the 2xx response or
        raises a typed `EcwidError`."""
        if self._refused is not None:
            raise type(self._refused)(
                str(self._refused),
                status=self._refused.status,
                error_code=self._refused.error_code,
                error_message=self._refused.error_message,
            )
        request = self._http.build_request(
            method,
            path,
            params=params,
            json=json,
            extensions=request_extensions(what=what, idempotent=idempotent),
        )
        try:
            return await self._http.send(request)
        except EcwidAuthError as error:
            if self.on_refused is not None and self.on_refused(error, f"{method} {path}"):
                self._refused = error
            raise

    # --- store ----------------------------------------------------------------------------

    async def get_profile(self) -> Profile:
        response = await self.call("GET", "/profile", what="store profile")
        return parse(Profile, response, "store profile")

    async def get_token_info(self) -> TokenInfo:
        what = "token info"
        response = await self.call("GET", "/application/token", what=what)
        return parse(TokenInfo, response, what)

    async def set_app_storage(self, key: str, value: str) -> None:
        """Write one value of the app's storage for this store: `POST /storage/{key}`, which
        overwrites an existing key (docs/ecwid/api-reference/rest-api/application/
        add-app-storage-data.md; scope `update_store_profile`). Absolute, so retried freely.
        Ecwid sends the app storage back in each shipping request's `merchantAppSettings`."""
        what = f"app storage key {key!r}"
        path = f"/storage/{_seg(key)}"
        response = await self.call("POST", path, what=what, json={"value": value})
        parse(_StorageWrite, response, what)

    # --- orders ---------------------------------------------------------------------------

    async def search_orders(self, query: OrderQuery) -> list[Order]:
        """All orders matching `query`: page 0, then the other pages concurrently.

        Each order once (by `id`); if it was listed twice, the copy with the newest
        `updateTimestamp` wins.
        """
        return await self._search_all("/orders", query.to_params(), Order, "orders search")

    async def search_orders_as(self, query: OrderQuery, convert: Callable[[Order], R]) -> list[R]:
        """`search_orders`, with each order handed to `convert` as soon as its page is parsed;
        returns what `convert` made of them (each order once; `R` must carry the order's `id`
        and `update_timestamp`, which paging and the newest copy per id read).

        Why: a large pull then holds one page of `Order` models at a time, not all of them
        until the search ends, which keeps the garbage collector's work per page small
        (`normalise.order_rows`; docs/benchmarks.md, "Order pull")."""
        params = query.to_params()
        return await self._search_all("/orders", params, Order, "orders search", convert)

    async def get_orders_page(self, query: OrderQuery, offset: int = 0) -> Page[Order]:
        """One page (up to 100) of `query`'s orders from `offset`, as Ecwid lists them; a page
        cut short is read again (`_page`). For reading page by page (the benchmarks' baseline);
        `search_orders` is the fast, complete way."""
        return await self._page("/orders", query.to_params(), offset, Order, "orders search")

    async def search_deleted_orders(
        self, deleted_from: datetime | None = None, deleted_to: datetime | None = None
    ) -> list[DeletedOrder]:
        """The store's deleted-orders history (`GET /orders/deleted`), every page, optionally
        bounded by deletion date (`from_date`/`to_date`, sent as UNIX seconds; aware datetimes
        only). Paged like every search here; each internal `id` once.
        docs/ecwid/api-reference/rest-api/store-profile/store-reports/get-deleted-items-history.md"""
        params: dict[str, str] = {}
        for name, value in (("from_date", deleted_from), ("to_date", deleted_to)):
            if value is not None:
                if value.tzinfo is None:
                    raise ValueError(f"{name} must be timezone-aware")
                params[name] = str(int(value.timestamp()))
        return await self._search_all("/orders/deleted", params, DeletedOrder, "deleted orders")

    async def get_order(self, order_id: str) -> Order:
        what = f"order {order_id}"
        response = await self.call("GET", f"/orders/{_seg(order_id)}", what=what)
        return parse(Order, response, what)

    async def get_order_json(self, order_id: str) -> str:
        """The order's JSON text exactly as Ecwid sends it (`GET /orders/{id}`: the same order
        object a search page lists, docs/ecwid/api-reference/rest-api/orders/get-order.md),
        unparsed, unknown fields included: what an operator debugs a quarantined order with."""
        what = f"order {order_id}"
        return (await self.call("GET", f"/orders/{_seg(order_id)}", what=what)).text

    async def update_order(
        self, order_id: str, update: OrderUpdate, *, blind_retry: bool = True
    ) -> UpdateResult:
        """Partial `PUT /orders/{id}` (never `items`; see `OrderUpdate`). Absolute fields, so a
        retry after a lost answer does no harm to the order, but it is a second write (and
        updateDate bump) in Ecwid: with `blind_retry=False` an answer that may hide an applied
        write (5xx, timeout, dropped connection) raises `EcwidWriteUncertain` instead, so the
        caller can read the order back before sending again. Ecwid may email the customer on
        SHIPPED/tracking unless `disable_all_customer_notifications` is set."""
        what = f"order {order_id}"
        response = await self.call(
            "PUT",
            f"/orders/{_seg(order_id)}",
            what=what,
            json=update.to_body(),
            idempotent=blind_retry,
        )
        return parse(UpdateResult, response, what)

    # --- paging ---------------------------------------------------------------------------

    async def _page(
        self,
        path: str,
        params: dict[str, str],
        offset: int,
        model: type[T],
        what: str,
        convert: Callable[[T], Any] | None = None,
    ) -> Page[Any]:
        """One page (its items through `convert`, if given); a page cut short in the middle
        (`paging.cut_short`) is read again, up to `SHORT_PAGE_READS` times, then
        `EcwidShortPage`: never a silent gap after it."""
        for _ in range(SHORT_PAGE_READS):
            response = await self.call(
                "GET", path, what=what, params={**params, "offset": offset, "limit": PAGE_SIZE}
            )
            # Parsed here, on the loop. A parser thread was slower (measured, 100,000 orders:
            # 29 instead of 38 answers/s in the first burst): pydantic holds the GIL while it
            # parses, and the loop thread then waits up to a switch interval (5 ms) each step.
            page = parse_page(model, response, what, self.stats, convert)
            if not cut_short(page):
                return page
            log.warning(
                "Ecwid %s: the page at offset %d has %d items of %d although %d match; "
                "reading it again",
                what,
                offset,
                page.count,
                page.limit,
                page.total,
            )
        raise EcwidShortPage(
            f"{what}: the page at offset {offset} stayed short ({page.count} of {page.limit} "
            f"items, {page.total} in all) after {SHORT_PAGE_READS} reads; not trusting the rest"
        )

    async def _search_all(
        self,
        path: str,
        params: dict[str, str],
        model: type[T],
        what: str,
        convert: Callable[[T], Any] | None = None,
    ) -> list[Any]:
        """Every item of a search (through `convert`, if given): page 0, then overlapping
        pages concurrently, then bridge pages wherever the set changed under us
        (`paging.bridge_offsets`)."""
        first = await self._page(path, params, 0, model, what, convert)
        pages: list[Page[Any]] = [first]
        total, requested, repairs = first.total, {0}, 0
        while True:
            offsets = page_offsets(total, requested)
            if not offsets:
                offsets = bridge_offsets(pages)
                if not offsets:
                    break
                repairs += 1
                if repairs > MAX_REPAIR_ROUNDS:
                    raise PagingKeptChanging(f"{what}: the result set kept changing while paging")
            requested.update(offsets)
            more = await self._fetch_pages(path, params, offsets, model, what, convert)
            pages.extend(more)
            total = max([total, *(p.total for p in more)])  # it grew while we paged
        return newest_by_id(item for page in pages for item in page.items)

    async def _fetch_pages(
        self,
        path: str,
        params: dict[str, str],
        offsets: list[int],
        model: type[T],
        what: str,
        convert: Callable[[T], Any] | None = None,
    ) -> list[Page[Any]]:
        """The pages at `offsets`, fetched concurrently, in offset order. Each answer is parsed
        only when no request could go out meanwhile: the rate limit is spent, or every
        remaining request is already in flight.

        Why: parsing a 100-order page costs ~5.7 ms of CPU on the event loop. Parsed as it
        arrives, it delays reading the other answers, and a rate-limit slot frees `window`
        seconds after its answer was read, so the whole second minute of a 1,000-page pull
        started later. Deferred, the parsing happens while the pull waits for the limiter
        (docs/benchmarks.md, "Order pull").
        """
        unparsed: list[tuple[int, httpx.Response]] = []
        parsed: list[tuple[int, Page[Any]]] = []
        arrived = asyncio.Event()
        remaining = len(offsets)

        async def get(index: int, offset: int) -> None:
            nonlocal remaining
            page_params = {**params, "offset": offset, "limit": PAGE_SIZE}
            unparsed.append((index, await self.call("GET", path, what=what, params=page_params)))
            remaining -= 1
            arrived.set()

        def parse_one() -> None:
            index, response = unparsed.pop()
            page = parse_page(model, response, what, self.stats, convert)
            parsed.append((index, page))

        try:
            async with asyncio.TaskGroup() as group:  # first failure cancels the rest
                for index, offset in enumerate(offsets):
                    group.create_task(get(index, offset))
                while remaining:
                    await arrived.wait()
                    arrived.clear()
                    while unparsed and (
                        remaining <= self.max_concurrency or self.limiter.saturated
                    ):
                        parse_one()
                        await asyncio.sleep(0)  # answers that came in meanwhile go first
        except ExceptionGroup as failed:  # callers get the typed error, not a group
            raise failed.exceptions[0] from None
        while unparsed:
            parse_one()
        pages = [page for _, page in sorted(parsed, key=lambda pair: pair[0])]
        return [  # a page cut short is read again alone (rare): `_page` re-reads or fails
            await self._page(path, params, p.offset, model, what, convert) if cut_short(p) else p
            for p in pages
        ]

    # --- catalogue ------------------------------------------------------------------------

    async def search_products(self, *, sku: str | None = None) -> list[Product]:
        """The whole catalogue (concurrent pages), or the product holding `sku` (exact match;
        a variation's SKU returns its parent product).

        The catalogue is paged in `ADDED_TIME_ASC` order: the default `RELEVANCE` order is
        unspecified and `UPDATED_TIME_*` moves a product whenever its stock changes, so while
        we page (orders arriving) products would jump over page boundaries and be missed. By
        time added, a change leaves a product in place, a new one goes last, and a deleted one
        is handled by the overlapping pages (docs/ecwid/api-reference/rest-api/products/
        search-products.md, `sortBy`)."""
        params = {"sku": sku} if sku is not None else {"sortBy": "ADDED_TIME_ASC"}
        what = f"products search (sku {sku})" if sku is not None else "products search"
        return await self._search_all("/products", params, Product, what)

    async def get_product(self, product_id: int) -> Product:
        what = f"product {product_id}"
        response = await self.call("GET", f"/products/{product_id}", what=what)
        return parse(Product, response, what)

    async def get_combinations(self, product_id: int) -> list[Combination]:
        what = f"variations of product {product_id}"
        path = f"/products/{product_id}/combinations"
        response = await self.call("GET", path, what=what)
        return parse(_COMBINATIONS, response, what)

    async def update_product(self, product_id: int, body: dict[str, Any]) -> UpdateResult:
        """Partial `PUT /products/{id}`, e.g. `{"quantity": 42, "unlimited": false}` (absolute
        values: retried freely)."""
        what = f"product {product_id}"
        response = await self.call("PUT", f"/products/{product_id}", what=what, json=body)
        return parse(UpdateResult, response, what)

    async def update_combination(
        self, product_id: int, combination_id: int, body: dict[str, Any]
    ) -> UpdateResult:
        what = f"variation {combination_id} of product {product_id}"
        path = f"/products/{product_id}/combinations/{combination_id}"
        response = await self.call("PUT", path, what=what, json=body)
        return parse(UpdateResult, response, what)

    async def adjust_product_inventory(self, product_id: int, delta: int) -> UpdateResult:
        """`quantityDelta` on a product. NOT idempotent: re-sent only when it certainly did not
        land (429, refused connection); otherwise `EcwidWriteUncertain` — re-read and decide."""
        what = f"stock of product {product_id}"
        return await self._adjust(f"/products/{product_id}/inventory", delta, what)

    async def adjust_combination_inventory(
        self, product_id: int, combination_id: int, delta: int
    ) -> UpdateResult:
        """As `adjust_product_inventory`, for one variation with its own SKU."""
        what = f"stock of variation {combination_id} of product {product_id}"
        path = f"/products/{product_id}/combinations/{combination_id}/inventory"
        return await self._adjust(path, delta, what)

    async def _adjust(self, path: str, delta: int, what: str) -> UpdateResult:
        response = await self.call(
            "PUT", path, what=what, json={"quantityDelta": delta}, idempotent=False
        )
        return parse(UpdateResult, response, what)

    # --- batch ----------------------------------------------------------------------------

    async def run_batch(
        self, requests: list[BatchRequest], *, poll_interval: float = 0.5
    ) -> list[BatchResponse]:
        """See `npf_ecwid.ecwid.batch.run_batch`: one response per request, check `.ok`."""
        return await run_batch(self, requests, poll_interval=poll_interval)
