"""`StockSource` over the `npf_stock` interface table (the WMS writes it, we only read)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlmodel import Session

from npf_ecwid.stock.ports import StockFeed, StockLevel
from npf_ecwid.tables import NpfStock
from npf_ecwid.validation_text import describe_validation


class SqlStockSource:
    """Reads every `npf_stock` row of a client; a row that does not validate (empty SKU, say)
    becomes a problem message and the rest still count."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read_stock(self, client: str) -> StockFeed:
        feed = StockFeed(origin="table npf_stock")
        with Session(self._engine) as session:
            rows = session.execute(select(NpfStock).where(NpfStock.client == client)).scalars()
            for row in rows:
                try:
                    feed.levels.append(
                        StockLevel(
                            sku=row.sku,
                            on_hand=row.on_hand,
                            available=row.available,
                            updated_at=row.updated_at,
                        )
                    )
                except ValidationError as error:
                    problem = describe_validation(error, top="(row)")
                    feed.problems.append(f"npf_stock sku {row.sku!r}: {problem}")
        return feed
