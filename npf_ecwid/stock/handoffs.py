"""When each open order reached the warehouse, and when the warehouse shipped it.

Read from the interface tables: `npf_order.received_at` (first hand-off, written by the order
pull) and the earliest `npf_shipment.shipped_at` (written by the WMS). Feeds `inflight_units`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from npf_ecwid.stock.inflight import handoff_frame
from npf_ecwid.tables import NpfOrder, NpfShipment

_CHUNK = 500  # keep IN lists well under SQLite's bound-parameter limit


def read_handoffs(engine: Engine, client: str, order_ids: Iterable[str]) -> pd.DataFrame:
    """`order_id`, `received_at`, `shipped_at` for those of `order_ids` the warehouse knows."""
    ids = sorted(set(order_ids))
    received: dict[str, object] = {}
    shipped: dict[str, object] = {}
    with Session(engine) as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for order_id, at in session.execute(
                select(NpfOrder.ecwid_order_id, NpfOrder.received_at).where(
                    NpfOrder.client == client,
                    NpfOrder.ecwid_order_id.in_(chunk),  # type: ignore[attr-defined]
                )
            ):
                received[order_id] = at
            for order_id, at in session.execute(
                select(NpfShipment.ecwid_order_id, func.min(NpfShipment.shipped_at))
                .where(
                    NpfShipment.client == client,
                    NpfShipment.ecwid_order_id.in_(chunk),  # type: ignore[attr-defined]
                )
                .group_by(NpfShipment.ecwid_order_id)
            ):
                shipped[order_id] = at
    known = sorted(set(received) | set(shipped))
    return handoff_frame((oid, received.get(oid), shipped.get(oid)) for oid in known)
