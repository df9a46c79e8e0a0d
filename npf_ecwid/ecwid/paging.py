"""Ecwid's `{total, count, offset, limit, items}` pages: parsing and de-duplication."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from npf_ecwid.ecwid.models import EcwidModel, Page
from npf_ecwid.ecwid.session import describe_validation_error, parse
from npf_ecwid.ecwid.stats import ClientStats, RejectedItem

log = logging.getLogger("npf_ecwid.ecwid")

PAGE_SIZE = 100  # Ecwid's maximum (and default) `limit`

T = TypeVar("T", bound=BaseModel)


class _RawPage(EcwidModel):
    total: int
    count: int
    offset: int
    limit: int
    items: list[Any]


def parse_page(model: type[T], response: httpx.Response, what: str, stats: ClientStats) -> Page[T]:
    """The page as typed items, in one pass over the JSON.

    One malformed item must not cost the whole page: if the fast path fails, the items are
    parsed one by one; bad ones are counted in `stats.invalid_items`, kept in `stats.rejected`
    (id if readable, which fields are wrong, the raw item) for the caller to quarantine, and
    logged with their id (the rest of the page is returned). An unreadable envelope raises
    `EcwidBadResponse`.
    """
    try:
        return Page[model].model_validate_json(response.content)  # type: ignore[valid-type]
    except ValidationError:
        pass
    raw = parse(_RawPage, response, what)
    good: list[T] = []
    for position, item in enumerate(raw.items, start=raw.offset):
        try:
            good.append(model.model_validate(item))
        except ValidationError as error:
            stats.invalid_items += 1
            stats.rejected.append(rejected_item(item, position, what, error))
            item_id = item.get("id") if isinstance(item, dict) else None
            log.warning(
                "Ecwid %s: skipped item %s at position %d: %s",
                what,
                item_id,
                position,
                describe_validation_error(error),
            )
    return Page[model](  # type: ignore[valid-type]
        total=raw.total, count=raw.count, offset=raw.offset, limit=raw.limit, items=good
    )


def rejected_item(item: Any, position: int, what: str, error: ValidationError) -> RejectedItem:
    """What the caller needs to hold a bad item for inspection (see `RejectedItem`)."""
    fields = item if isinstance(item, dict) else {}
    item_id, stamp = fields.get("id"), fields.get("updateTimestamp")
    readable_id = isinstance(item_id, str | int) and not isinstance(item_id, bool) and item_id != ""
    return RejectedItem(
        what=what,
        position=position,
        item_id=str(item_id) if readable_id else None,
        reason=describe_fields(error),
        raw_json=json.dumps(item, ensure_ascii=False, separators=(",", ":")),
        update_timestamp=stamp if type(stamp) is int else None,
    )


def describe_fields(error: ValidationError, limit: int = 5) -> str:
    """Every problem as `field: message` (camelCase paths as Ecwid sends them, e.g.
    `items.0.quantity: Input should be a valid integer`), at most `limit` of them."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '(item)'}: {e['msg']}" for e in error.errors()
    ]
    more = f" (+{len(problems) - limit} more)" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more


def newest_by_id(items: Iterable[T]) -> list[T]:
    """Each `id` once, in first-seen order; of two copies the newer `updateTimestamp` wins
    (an item listed twice because it changed while we paged), ties keep the first."""
    best: dict[Any, T] = {}
    for item in items:
        key = item.id  # type: ignore[attr-defined]
        previous = best.get(key)
        if previous is None or _stamp(item) > _stamp(previous):
            best[key] = item
    return list(best.values())


def _stamp(item: BaseModel) -> int:
    return getattr(item, "update_timestamp", None) or 0
