"""Which `OrderIntake` this installation uses: the SQL tables by default, or a file drop
when `NPF_ORDER_OUTBOX` names an outbox folder."""

from __future__ import annotations

from npf_ecwid.db import get_engine
from npf_ecwid.settings import Settings, get_settings
from npf_ecwid.warehouse.base import OrderIntake
from npf_ecwid.warehouse.files_orders import FileOrderIntake
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake


def open_intake(settings: Settings | None = None) -> OrderIntake:
    settings = settings or get_settings()
    engine = get_engine(settings.effective_database_url)
    if settings.order_outbox is not None:
        return FileOrderIntake(engine, settings.order_outbox)
    return SqlOrderIntake(engine)
