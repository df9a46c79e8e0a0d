"""The warehouse stock port: what a stock feed is, and the `StockSource` protocol."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

# No real stock figure comes near this; a bigger one is a corrupt value (10^23 was seen), never
# a quantity to push. Also keeps figures inside Ecwid's and the databases' integer range.
MAX_UNITS = 10**9 - 1


class StockLevel(BaseModel):
    """One SKU's stock as the warehouse reports it. `updated_at` is aware UTC.

    `available` is None when the WMS does not say (then `available` clients cannot use the row);
    `updated_at` is None when it gives no time (then such rows cannot prove the feed is fresh).
    """

    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1)
    on_hand: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    available: int | None = Field(default=None, ge=-MAX_UNITS, le=MAX_UNITS)
    updated_at: datetime | None = None

    @field_validator("sku")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("empty SKU")
        return value

    @field_validator("updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        # Naive timestamps from the WMS are taken as UTC (the interface tables' convention).
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StockFeed(BaseModel):
    """A whole stock read: the levels that parsed, plus one message per row that did not.

    `origin` says where it came from (table name or file path) for reports; bad rows are kept
    as messages for inspection and never stop the good ones.
    """

    origin: str
    levels: list[StockLevel] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


class StockSource(Protocol):
    """Where a client's warehouse stock comes from (SQL table `npf_stock`, or a file drop)."""

    def read_stock(self, client: str) -> StockFeed:
        """Every SKU the warehouse holds for `client`, read now."""
        ...
