"""The steps of `npf-ecwid demo`, each one real component call (see `demo.py` for the story)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL
from sqlalchemy import func, select
from sqlmodel import Session

from cli.db import open_database
from cli.demo import DEMO_CLIENT, DEMO_STORE_ID, DEMO_TOKEN
from flows.orders import sync_orders
from flows.stock import sync_stock
from flows.tracking import push_tracking
from npf_ecwid.sandbox import Sandbox, SandboxStore, create_app, generate_store, serve_in_thread
from npf_ecwid.sandbox.warehouse_sim import simulate_warehouse
from npf_ecwid.tables import NpfOrder, NpfShipment, NpfStock
from runtime.lanes import ensure_lanes


def _outcome(state: Any, line: str) -> dict[str, Any]:
    if state.is_completed():
        return {"line": line, "failed": False}
    return {"line": f"{state.name}: {state.message}", "failed": True}


class DemoCycle:
    def __init__(self, *, orders: int, share: float) -> None:
        self.orders = orders
        self.share = share
        self.store: SandboxStore = generate_store(DEMO_STORE_ID, orders=orders)
        self.sandbox = Sandbox([self.store])
        self.sandbox.add_token(DEMO_TOKEN, DEMO_STORE_ID)
        self.engine = open_database()

    @contextmanager
    def sandbox_store(self) -> Iterator[str]:
        """The sandbox store over real HTTP, as flows reach Ecwid; yields its API URL."""
        with serve_in_thread(create_app(self.sandbox)) as api_url:
            yield api_url

    def start_prefect(self) -> str:
        # The first API call starts Prefect's temporary server when no server is configured.
        ensure_lanes([DEMO_CLIENT])
        url = PREFECT_API_URL.value()
        return f"server at {url}" if url else "temporary server on Prefect's local database"

    def _writes(self, method: str, prefix: str) -> int:
        return sum(
            1 for w in self.store.write_log if w.method == method and w.path.startswith(prefix)
        )

    def _count(self, table: Any) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).select_from(table).where(table.client == DEMO_CLIENT)
            return int(session.execute(query).scalar_one())

    def pull(self) -> dict[str, Any]:
        state = sync_orders(DEMO_CLIENT, return_state=True)
        return _outcome(state, f"{self._count(NpfOrder)} orders handed off (npf_order)")

    def warehouse_shift(self) -> dict[str, Any]:
        skus = [sku for sku, qty in self.store.stock_by_sku().items() if qty is not None]
        result = simulate_warehouse(self.engine, DEMO_CLIENT, skus, share=self.share)
        return {
            "line": f"shipped {result.shipped} orders, counted {result.stock_lines} SKUs",
            "failed": False,
        }

    def push(self) -> dict[str, Any]:
        before = self._writes("PUT", "/orders/")
        state = push_tracking(DEMO_CLIENT, return_state=True)
        pushed = self._writes("PUT", "/orders/") - before
        return _outcome(state, f"{pushed} orders marked SHIPPED with tracking")

    def stock(self) -> dict[str, Any]:
        state = sync_stock(DEMO_CLIENT, return_state=True)
        if not state.is_completed():
            return _outcome(state, "")
        result = state.result()
        return _outcome(state, result.message or result.status)

    def summary(self) -> dict[str, int]:
        with Session(self.engine) as session:
            numbers = set(
                session.execute(
                    select(NpfShipment.tracking_number).where(NpfShipment.client == DEMO_CLIENT)
                ).scalars()
            )
            counted = list(
                session.execute(
                    select(NpfStock.sku).where(NpfStock.client == DEMO_CLIENT)
                ).scalars()
            )
        shipped = sum(
            1
            for order in self.store.orders()
            if order.get("fulfillmentStatus") == "SHIPPED"
            and order.get("trackingNumber") in numbers
        )
        stock_writes = [
            w for w in self.store.write_log if w.path.startswith("/products") and w.method == "PUT"
        ]
        return {
            "handed_off": self._count(NpfOrder),
            "shipped_in_ecwid": shipped,
            "stock_updated": len(stock_writes),
            "stock_lines": len(counted),
        }

    def ui_hint(self) -> str:
        url = PREFECT_API_URL.value()
        if url:
            ui = PREFECT_UI_URL.value() or url.removesuffix("/api")
            return f"See the runs, logs and artifacts in the Prefect UI: {ui}/runs"
        return (
            "See the runs, logs and artifacts in the Prefect UI:\n"
            "  prefect server start        # same local database as this demo\n"
            "  open http://127.0.0.1:4200/runs"
        )
