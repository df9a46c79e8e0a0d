"""A stand-in for the NPF WMS (demo, tests, benchmarks): ships handed-off orders, counts stock.

It does what the real WMS does through the interface tables, nothing more:
- picks and ships a share of the orders the integration handed off (`npf_order`, not
  cancelled, not pickups, not shipped yet), writing one `npf_shipment` row with a tracking
  number each;
- keeps `npf_stock` for the client's SKUs: a counted quantity on hand, and `available` = on hand
  minus what unshipped handed-off orders still allocate.
Deterministic for a given seed. Never used by the production path.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlmodel import Session

from npf_ecwid.tables import NpfOrder, NpfOrderLine, NpfShipment, NpfStock
from npf_ecwid.warehouse.sql_shipments import add_shipments

CARRIER = "AusPost"
TRACKING_URL = "https://auspost.com.au/mypost/track/details/{number}"


@dataclass(frozen=True)
class SimResult:
    shipped: int
    stock_lines: int


def _waiting_orders(session: Session, client: str) -> list[str]:
    shipped = select(NpfShipment.ecwid_order_id).where(NpfShipment.client == client)
    query = (
        select(NpfOrder.ecwid_order_id)
        .where(
            NpfOrder.client == client,
            NpfOrder.cancelled_at.is_(None),  # type: ignore[union-attr]
            NpfOrder.is_pickup.is_(False),  # type: ignore[attr-defined]
            NpfOrder.ecwid_order_id.not_in(shipped),  # type: ignore[attr-defined]
        )
        .order_by(NpfOrder.ecwid_order_id)
    )
    return list(session.execute(query).scalars())


def ship_orders(
    engine: Engine, client: str, *, share: float = 0.5, seed: int = 1, now: datetime | None = None
) -> list[str]:
    """Ship `share` of the waiting orders; returns their ids. Idempotent per tracking number."""
    now = now or datetime.now(UTC)
    rng = random.Random(f"{client}-{seed}")
    with Session(engine) as session:
        waiting = _waiting_orders(session, client)
    chosen = sorted(rng.sample(waiting, round(len(waiting) * share)))
    rows = []
    for order_id in chosen:
        number = f"NPF{rng.randrange(10**9, 10**10)}AU"
        rows.append(
            NpfShipment(
                client=client,
                ecwid_order_id=order_id,
                tracking_number=number,
                carrier=CARRIER,
                tracking_url=TRACKING_URL.format(number=number),
                shipped_at=now,
            )
        )
    add_shipments(engine, rows)
    return chosen


def allocated_by_sku(engine: Engine, client: str) -> Counter[str]:
    """Units that handed-off, unshipped, not-cancelled orders still hold, per SKU."""
    with Session(engine) as session:
        waiting = set(_waiting_orders(session, client))
        lines = session.execute(
            select(NpfOrderLine.ecwid_order_id, NpfOrderLine.sku, NpfOrderLine.quantity).where(
                NpfOrderLine.client == client
            )
        ).all()
    allocated: Counter[str] = Counter()
    for order_id, sku, quantity in lines:
        if order_id in waiting and sku:
            allocated[sku] += quantity
    return allocated


def count_stock(
    engine: Engine,
    client: str,
    skus: Iterable[str],
    *,
    seed: int = 1,
    low: int = 5,
    high: int = 80,
    now: datetime | None = None,
) -> int:
    """Write today's stock count for `skus` into `npf_stock` (upsert); returns rows written."""
    now = now or datetime.now(UTC)
    rng = random.Random(f"{client}-stock-{seed}")
    allocated = allocated_by_sku(engine, client)
    written = 0
    with Session(engine) as session, session.begin():
        for sku in sorted(set(skus)):
            on_hand = rng.randint(low, high)
            row = session.get(NpfStock, (client, sku)) or NpfStock(
                client=client, sku=sku, on_hand=0
            )
            row.on_hand = on_hand
            row.available = max(0, on_hand - allocated[sku])
            row.updated_at = now
            session.add(row)
            written += 1
    return written


def simulate_warehouse(
    engine: Engine, client: str, skus: Iterable[str], *, share: float = 0.5, seed: int = 1
) -> SimResult:
    """One WMS "shift": ship some orders, then count stock."""
    shipped = ship_orders(engine, client, share=share, seed=seed)
    return SimResult(shipped=len(shipped), stock_lines=count_stock(engine, client, skus, seed=seed))
