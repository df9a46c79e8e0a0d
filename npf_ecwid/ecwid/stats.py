"""Counters one `EcwidClient` keeps, for run artifacts and benchmarks, and the list items it
could not parse (kept so the caller can quarantine them instead of losing them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UnreadableItem:
    """A list item (e.g. one order of a `GET /orders` page) that failed model validation.

    `item_id` is its `id` when that can be read (a string or a number), `raw_json` the item
    exactly as Ecwid sent it, re-serialised (never request headers, so no token), `reason`
    names each field and its problem, `update_timestamp` is its `updateTimestamp` when that
    is a number (the pull's watermark must pass it)."""

    what: str  # which call, e.g. "orders search"
    position: int  # offset in the result list
    item_id: str | None
    reason: str
    raw_json: str
    update_timestamp: int | None = None


@dataclass
class ClientStats:
    requests: int = 0  # HTTP attempts sent (retries included)
    retries: int = 0
    rate_limited: int = 0  # 429 answers seen
    transport_errors: int = 0  # timeouts, refused or dropped connections
    by_status: Counter[int] = field(default_factory=Counter)
    limiter_wait_s: float = 0.0  # total time callers waited for a rate-limit slot
    unreadable_items: int = 0  # list items that could not be parsed (each in `unreadable`)
    unreadable: list[UnreadableItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "transport_errors": self.transport_errors,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "limiter_wait_s": round(self.limiter_wait_s, 3),
            "unreadable_items": self.unreadable_items,
        }
