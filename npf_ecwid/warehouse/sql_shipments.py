"""Shipments from the warehouse's `npf_shipment` table (the SQL adapter of `ShipmentSource`).

The WMS inserts one row per parcel. This module only reads it (and the file-drop adapter adds
rows through `add_shipments`); the push's own state lives in `npf_tracking_push`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session

from npf_ecwid.db import dialect_insert
from npf_ecwid.tables import PARCEL_COLUMNS, NpfShipment
from npf_ecwid.tracking.ports import SHIPMENT_COLUMNS, FileReport

SHIPMENTS = NpfShipment.__table__  # type: ignore[attr-defined]


def _frame(rows: Iterable[NpfShipment]) -> pd.DataFrame:
    columns = ["id", *SHIPMENT_COLUMNS]
    records = [[getattr(row, name) for name in columns] for row in rows]
    return pd.DataFrame(records, columns=columns)


class SqlShipmentSource:
    """`ShipmentSource` on `npf_shipment` alone (reads no files, so no reports)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reports: list[FileReport] = []
        self.waiting: list[str] = []

    def shipments(self, client: str) -> pd.DataFrame:
        query = select(NpfShipment).where(NpfShipment.client == client).order_by(NpfShipment.id)
        with Session(self.engine) as session:
            return _frame(session.execute(query).scalars())


def add_shipments(engine: Engine, rows: Iterable[NpfShipment]) -> int:
    """Insert parcels not already recorded (same client, order and tracking number); returns
    how many were new. Idempotent, also against concurrent inserts of the same parcel (the
    table's unique parcel key + `ON CONFLICT DO NOTHING`), so a file dropped twice, or read by
    two runs at once, adds nothing the second time."""
    added = 0
    with engine.begin() as connection:
        statement = (
            dialect_insert(connection, SHIPMENTS)
            .on_conflict_do_nothing(index_elements=list(PARCEL_COLUMNS))
            .returning(SHIPMENTS.c.id)  # a row back = inserted (rowcount is -1 on psycopg)
        )
        for row in rows:
            values = row.model_dump(exclude={"id"})
            added += connection.execute(statement, values).first() is not None
    return added
