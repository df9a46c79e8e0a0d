"""Ecwid's `{total, count, offset, limit, items}` pages: parsing and de-duplication."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from npf_ecwid.ecwid.errors import EcwidBadResponse, EcwidError
from npf_ecwid.ecwid.models import Page
from npf_ecwid.ecwid.session import describe_validation_error, parse
from npf_ecwid.ecwid.stats import ClientStats, UnreadableItem
from npf_ecwid.validation_text import describe_validation

log = logging.getLogger("npf_ecwid.ecwid")

PAGE_SIZE = 100  # Ecwid's maximum (and default) `limit`
SHORT_PAGE_READS = 3  # reads of a page that comes back cut short before giving up

T = TypeVar("T", bound=BaseModel)


def parse_page(
    model: type[T],
    response: httpx.Response,
    what: str,
    stats: ClientStats,
    convert: Callable[[T], Any] | None = None,
) -> Page[Any]:
    """The page as typed items, in one pass over the JSON; with `convert`, each item as
    `convert` makes it (`EcwidClient.search_orders_as`).

    One malformed item must not cost the whole page: if the fast path fails, the items are
    parsed one by one; bad ones are counted in `stats.unreadable_items`, kept in `stats.unreadable`
    (id if readable, which fields are wrong, the raw item) for the caller to quarantine, and
    logged with their id (the rest of the page is returned). An unreadable envelope raises
    `EcwidBadResponse`.
    """
    try:
        page = Page[model].model_validate_json(response.content)  # type: ignore[valid-type]
    except ValidationError:
        page = _parse_item_by_item(model, response, what, stats)
    return _converted(page, convert)


def _parse_item_by_item(
    model: type[T], response: httpx.Response, what: str, stats: ClientStats
) -> Page[T]:
    raw = parse(Page[Any], response, what)
    good: list[T] = []
    for position, item in enumerate(raw.items, start=raw.offset):
        try:
            good.append(model.model_validate(item))
        except ValidationError as error:
            stats.unreadable_items += 1
            stats.unreadable.append(unreadable_item(item, position, what, error))
            item_id = item.get("id") if isinstance(item, dict) else None
            log.warning(
                "Ecwid %s: unreadable item %s at position %d, kept for the caller: %s",
                what,
                item_id,
                position,
                describe_validation_error(error),
            )
    return Page[model](  # type: ignore[valid-type]
        total=raw.total, count=raw.count, offset=raw.offset, limit=raw.limit, items=good
    )


def _converted(page: Page[T], convert: Callable[[T], Any] | None) -> Page[Any]:
    """`page` with its items through `convert` (None: as it is). Built without validation:
    the envelope was validated, and the items are no longer models."""
    if convert is None:
        return page
    fields = {"total": page.total, "count": page.count, "offset": page.offset, "limit": page.limit}
    return Page[Any].model_construct(**fields, items=[convert(item) for item in page.items])


def unreadable_item(item: Any, position: int, what: str, error: ValidationError) -> UnreadableItem:
    """What the caller needs to hold a bad item for inspection (see `UnreadableItem`)."""
    fields = item if isinstance(item, dict) else {}
    item_id, stamp = fields.get("id"), fields.get("updateTimestamp")
    readable_id = isinstance(item_id, str | int) and not isinstance(item_id, bool) and item_id != ""
    return UnreadableItem(
        what=what,
        position=position,
        item_id=str(item_id) if readable_id else None,
        reason=describe_validation(error, top="(item)"),
        raw_json=json.dumps(item, ensure_ascii=False, separators=(",", ":")),
        update_timestamp=stamp if type(stamp) is int else None,
    )


# --- paging a result set that changes meanwhile -----------------------------------------------
#
# Offset paging over a live result set: when items leave it (an order cancelled while a
# PAID-only search pages, a deleted product) every later item moves up, and those that cross
# a page boundary between two page requests are on neither page. So neighbouring pages are
# requested with one item in common (`STEP`); two neighbours that share nothing mark a place
# where something may have slipped through, and a bridge page is requested there, until every
# pair of neighbours overlaps. Proof sketch: Ecwid keeps one order for a search; a page is a
# contiguous run of that order at the moment it was served; two runs that share an item cover
# everything between them that stayed in the set. So every item that was in the set for the
# whole search is returned. Items that joined or left meanwhile may or may not be (they changed,
# so an incremental search by `updatedFrom` sees them next time). Cost without changes: one
# item per page, ~1% more requests.

STEP = PAGE_SIZE - 1
MAX_REPAIR_ROUNDS = 8


class PagingKeptChanging(EcwidError):
    """Bridge pages could not close the gaps (the set changed faster than we could page); the
    caller's run fails and its next run pages again."""


def page_offsets(total: int, requested: Iterable[int]) -> list[int]:
    """Offsets of overlapping pages covering `total` items, minus those already requested."""
    done = set(requested)
    return [o for o in range(0, total, STEP) if o not in done]


class EcwidShortPage(EcwidBadResponse):
    """A page kept coming back with fewer items than `limit` although it is not the last
    (`offset + count < total`): the items after it cannot be trusted, so the search fails
    (its run fails loudly and the next run pages again) instead of returning a gap."""


def cut_short(page: Page[Any]) -> bool:
    """Fewer items than asked for, yet not the last page: the envelope contradicts itself
    (docs/ecwid/api-reference/rest-api/orders/search-orders.md and products/search-products.md:
    `count` items from `offset`, of `total`; only the last page holds fewer than `limit`)."""
    return page.count < page.limit and page.offset + page.count < page.total


def reaches_end(page: Page[Any]) -> bool:
    """The page was the last of the result set when it was served."""
    return page.count < page.limit or page.offset + page.count >= page.total


def bridge_offsets(pages: Iterable[Page[Any]]) -> list[int]:
    """Offsets to request where two neighbouring pages (latest copy per offset) share no item
    and the earlier one did not reach the end of the set: something may lie between them."""
    latest: dict[int, Page[Any]] = {}
    for page in pages:
        latest[page.offset] = page
    chain = [latest[o] for o in sorted(latest)]
    bridges = []
    for before, after in pairwise(chain):
        if reaches_end(before):
            continue
        if {i.id for i in before.items} & {i.id for i in after.items}:
            continue
        middle = max(before.offset + 1, after.offset - PAGE_SIZE // 2)
        if middle not in latest:
            bridges.append(middle)
        else:  # the midpoint was asked before: ask the earlier neighbour's range again
            bridges.append(before.offset)
    return sorted(set(bridges))
