"""Ecwid's `{total, count, offset, limit, items}` pages: parsing and de-duplication."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from npf_ecwid.ecwid.models import EcwidModel, Page
from npf_ecwid.ecwid.session import describe_validation_error, parse
from npf_ecwid.ecwid.stats import ClientStats

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
    parsed one by one; bad ones are counted in `stats.invalid_items` and logged with their id
    (the rest of the page is returned). An unreadable envelope raises `EcwidBadResponse`.
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
