"""A minimal WMS for the chaos run: ships handed-off orders into `npf_shipment` and publishes
stock snapshots into `npf_stock`, reading `npf_order`/`npf_order_line` like a real WMS would.

Why not `npf_ecwid/sandbox/warehouse_sim.py`: that one re-counts a random stock figure every
shift and always writes a tracking URL. The chaos run needs physical stock that carries over
between cycles (so the stock guard's mass-zero check stays meaningful and the expected figure
is exact), multi-parcel orders, and parcels without a URL (so carrier templates are used).
State that must survive killed flow processes (physical stock per SKU, the tracking number
sequence) lives in this object in the parent process and in the tables.

Stock model per client and SKU: `on_hand` starts at `initial_stock`, drops when a parcel
leaves, rises on occasional restocks; `available` = on_hand - units of handed-off, not
cancelled, not yet shipped orders (what the WMS has allocated). Each snapshot is stamped
`updated_at` = now, after the shipments it accounts for.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlmodel import Session

from npf_ecwid.tables import NpfOrder, NpfOrderLine, NpfShipment, NpfStock

CARRIERS = ("Australia Post", "StarTrack", "Aramex", "Couriers Please", "DHL Express", "TNT")
_DONE = ("SHIPPED", "DELIVERED", "OUT_FOR_DELIVERY", "RETURNED", "WILL_NOT_DELIVER")


class WarehouseSim:
    def __init__(
        self,
        engine: Engine,
        skus: dict[str, list[str]],
        *,
        seed: int = 5,
        ship_share: float = 0.6,
        initial_stock: int = 5000,
    ) -> None:
        """`skus[client]`: the SKUs the warehouse stocks for that client."""
        self.engine = engine
        self.rng = random.Random(seed)
        self.ship_share = ship_share
        self.on_hand: dict[str, dict[str, int]] = {
            client: dict.fromkeys(client_skus, initial_stock)
            for client, client_skus in skus.items()
        }
        self.parcels = 0
        self.shipped_orders = 0

    def _lines(self, session: Session, client: str, order_ids: list[str]) -> dict[str, int]:
        units: dict[str, int] = defaultdict(int)
        if not order_ids:
            return units
        rows = session.execute(
            select(NpfOrderLine.sku, NpfOrderLine.quantity).where(
                NpfOrderLine.client == client,
                NpfOrderLine.ecwid_order_id.in_(order_ids),
                NpfOrderLine.is_shipping_required,
            )
        )
        for sku, quantity in rows:
            if sku:
                units[sku] += quantity
        return units

    def _open_orders(self, session: Session, client: str) -> list[str]:
        """Handed off, not cancelled, not shipped, not a pickup, not shipped by us yet."""
        shipped = select(NpfShipment.ecwid_order_id).where(NpfShipment.client == client)
        rows = session.execute(
            select(NpfOrder.ecwid_order_id).where(
                NpfOrder.client == client,
                NpfOrder.cancelled_at.is_(None),  # type: ignore[union-attr]
                ~NpfOrder.is_pickup,  # type: ignore[operator]
                NpfOrder.fulfillment_status.not_in(_DONE),  # type: ignore[union-attr]
                NpfOrder.ecwid_order_id.not_in(shipped),  # type: ignore[attr-defined]
            )
        )
        return sorted(r[0] for r in rows)

    def ship(self, client: str, share: float | None = None) -> int:
        """Ship a random `share` of the open orders (all parcels of an order in one
        transaction); returns how many orders were shipped."""
        share = self.ship_share if share is None else share
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            candidates = self._open_orders(session, client)
            chosen = [o for o in candidates if self.rng.random() < share]
            for order_id in chosen:
                carrier = self.rng.choice(CARRIERS)
                for _ in range(2 if self.rng.random() < 0.1 else 1):
                    self.parcels += 1
                    number = f"CH{client[:2]}{self.parcels:08d}"
                    session.add(
                        NpfShipment(
                            client=client,
                            ecwid_order_id=order_id,
                            tracking_number=number,
                            carrier=carrier,
                            tracking_url=None,
                            shipped_at=now,
                        )
                    )
            for sku, units in self._lines(session, client, chosen).items():
                stock = self.on_hand[client]
                stock[sku] = stock.get(sku, 0) - units
            session.commit()
        self.shipped_orders += len(chosen)
        return len(chosen)

    def restock(self, client: str) -> None:
        stock = self.on_hand[client]
        if stock:
            sku = self.rng.choice(sorted(stock))
            stock[sku] += self.rng.randrange(10, 200)

    def publish_stock(self, client: str) -> None:
        """Replace the client's `npf_stock` rows with a snapshot stamped now."""
        with Session(self.engine) as session:
            allocated = self._lines(session, client, self._open_orders(session, client))
            now = datetime.now(UTC)
            session.execute(delete(NpfStock).where(NpfStock.client == client))  # type: ignore[arg-type]
            for sku, on_hand in sorted(self.on_hand[client].items()):
                session.add(
                    NpfStock(
                        client=client,
                        sku=sku,
                        on_hand=on_hand,
                        available=on_hand - allocated.get(sku, 0),
                        updated_at=now,
                    )
                )
            session.commit()
