"""The one place that chooses the warehouse adapters and hands back ports.

`NPF_WAREHOUSE` (`settings.WarehouseKind`) picks the medium for all three directions: the
order hand-off (`orders.ports.OrderIntake`), the stock feed (`stock.ports.StockSource`) and
the shipments feed (`tracking.ports.ShipmentSource`). Only this module imports
`npf_ecwid.warehouse`; tasks call it and pass the ports on, so the domain packages never know
which adapter they talk to (and never import one: `warehouse` -> domain, not the reverse).
"""

from __future__ import annotations

from collections.abc import Set

from sqlalchemy import Engine

from npf_ecwid.db import get_engine
from npf_ecwid.orders.ports import OrderIntake
from npf_ecwid.settings import Settings, WarehouseKind, get_settings
from npf_ecwid.stock.ports import StockSource
from npf_ecwid.tracking.ports import ShipmentSource
from npf_ecwid.warehouse.files_orders import FileOrderIntake
from npf_ecwid.warehouse.files_shipments import FileShipmentSource, inbox_dir
from npf_ecwid.warehouse.files_stock import FileStockSource, stock_inbox
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource
from npf_ecwid.warehouse.sql_stock import SqlStockSource


def open_order_intake(
    settings: Settings | None = None, engine: Engine | None = None
) -> OrderIntake:
    """Order files in `order_outbox_dir` (`files`, or `auto` with `NPF_ORDER_OUTBOX`), else the
    `npf_order` tables. `engine`: the integration database (default: the settings' one)."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings.effective_database_url)
    outbox = settings.order_outbox_dir
    if outbox is not None:
        return FileOrderIntake(engine, outbox)
    return SqlOrderIntake(engine)


def open_stock_source(client: str, settings: Settings | None = None) -> StockSource:
    """`client`'s stock feed: its inbox folder `NPF_DATA_DIR/inbox/stock/<CLIENT>/` (`files`;
    `auto` when that folder exists), else the `npf_stock` table."""
    settings = settings or get_settings()
    kind = settings.warehouse
    if kind is WarehouseKind.FILES or (
        kind is WarehouseKind.AUTO and stock_inbox(settings.data_dir, client).is_dir()
    ):
        return FileStockSource(settings.data_dir)
    return SqlStockSource(get_engine(settings.effective_database_url))


def open_shipment_source(
    settings: Settings | None = None, clients: Set[str] | None = None
) -> ShipmentSource:
    """The shipments feed: the `npf_shipment` table (`sql`), or the CSVs in
    `NPF_DATA_DIR/inbox/shipments/` added to it first (`files`, `auto`). `clients`: the
    configured client codes (rows for any other client in a file are refused)."""
    settings = settings or get_settings()
    engine = get_engine(settings.effective_database_url)
    if settings.warehouse is WarehouseKind.SQL:
        return SqlShipmentSource(engine)
    return FileShipmentSource(engine, inbox_dir(settings.data_dir), clients)


def stored_shipments(engine: Engine) -> ShipmentSource:
    """What `npf_shipment` holds now, whatever the kind: for read-only views (`status`), which
    must never take files out of an inbox."""
    return SqlShipmentSource(engine)
