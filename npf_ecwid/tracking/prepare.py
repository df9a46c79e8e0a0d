"""Gather a client's inputs and plan its pushes (the "decide" half of a run, no Ecwid calls)."""

from __future__ import annotations

from sqlalchemy import Engine

from npf_ecwid.config import ClientConfig, StatusMeaning
from npf_ecwid.orders.deletions import deleted_order_ids
from npf_ecwid.orders.ports import OrderIntake
from npf_ecwid.tracking.ledger import load_ledger
from npf_ecwid.tracking.plan import Plan, plan_pushes
from npf_ecwid.tracking.ports import ShipmentSource


def prepare_plan(
    engine: Engine,
    client: ClientConfig,
    source: ShipmentSource,
    orders: OrderIntake,
    *,
    retry_failed: bool = False,
) -> Plan:
    """Shipments from `source` + the ledger + the orders we handed off -> the plan.

    Which orders were handed off is the order hand-off's own answer (`orders.handed_off`):
    the `npf_order` rows, or the file drop's ledger when orders go out as files."""
    shipments = source.shipments(client.code)
    ids = shipments["ecwid_order_id"].drop_duplicates().tolist()
    return plan_pushes(
        shipments,
        load_ledger(engine, client.code),
        client=client.code,
        push_tracking_url=client.push_tracking_url,
        disable_notifications=client.disable_customer_notifications,
        known_orders=orders.known_ids(client.code, ids),
        retry_failed=retry_failed,
        deleted_orders=deleted_order_ids(engine, client.code),
        shipped_custom=client.statuses_meaning(StatusMeaning.SHIPPED),
        cancelled_custom=client.statuses_meaning(StatusMeaning.CANCELLED),
    )
