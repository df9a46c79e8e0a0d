"""Stock fixtures: a small sandbox store served over real HTTP, a clients file in tmp_path,
an SQLite warehouse database, and helpers to write the warehouse feed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session

from npf_ecwid.config import ClientConfig, get_client
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import Faults, Sandbox, SandboxStore, create_app, generate_store
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.settings import Settings, get_settings
from npf_ecwid.tables import NpfOrder, NpfStock

STORE_ID = 1003
TOKEN = "sandbox-token"
# Not ACME: other areas' flow tests count artifacts keyed by their client code on the shared
# Prefect test server, and this flow runs the order pull as a subflow.
CODE = "STOCKSHOP"
CLIENTS_TOML = """
[clients.STOCKSHOP]
store_id = 1003
token = "env:ACME_ECWID_TOKEN"
order_prefix = "ACME-"
stock = "{mode}"
stock_max_feed_age_hours = 26
stock_max_zero_share = 0.5
"""


@dataclass
class StockEnv:
    store: SandboxStore
    sandbox: Sandbox
    engine: Engine
    settings: Settings
    config: ClientConfig
    data_dir: Path

    def writes(self) -> list:
        return [w for w in self.store.write_log if w.method in ("PUT", "POST")]

    def feed(self, levels: dict[str, tuple[int, int | None]], at: datetime | None = None) -> None:
        """Replace the client's `npf_stock` rows: sku -> (on_hand, available)."""
        at = at or datetime.now(UTC)
        with Session(self.engine) as session:
            session.execute(delete(NpfStock).where(NpfStock.client == CODE))
            for sku, (on_hand, available) in levels.items():
                session.add(
                    NpfStock(
                        client=CODE, sku=sku, on_hand=on_hand, available=available, updated_at=at
                    )
                )
            session.commit()

    def hand_off(self, order_id: str, received_at: datetime) -> None:
        """What the order pull does: the order lands in `npf_order`."""
        with Session(self.engine) as session:
            session.add(
                NpfOrder(
                    client=CODE,
                    ecwid_order_id=order_id,
                    order_ref=order_id,
                    content_hash="x",
                    received_at=received_at,
                    updated_at=received_at,
                    changed_at=received_at,
                )
            )
            session.commit()

    def tracked(self) -> dict[str, int]:
        """Current Ecwid stock of every SKU that has a quantity (unlimited left out)."""
        return {k: v for k, v in self.store.stock_by_sku().items() if v is not None}


def make_env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    url: str,
    store,
    sandbox,
    db_url: str | None = None,
):
    clients = tmp_path / "clients.toml"
    clients.write_text(CLIENTS_TOML.format(mode=mode), encoding="utf-8")
    data_dir = tmp_path / "data"
    db_url = db_url or f"sqlite:///{tmp_path / 'npf.db'}"
    for name, value in {
        "NPF_CLIENTS": str(clients),
        "NPF_DATA_DIR": str(data_dir),
        "DATABASE_URL": db_url,
        "ECWID_API_URL": url,
        "ACME_ECWID_TOKEN": TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    engine = get_engine(db_url)
    upgrade(engine)
    settings = get_settings()
    config = get_client(clients, CODE)
    return StockEnv(store, sandbox, engine, settings, config, data_dir)


@pytest.fixture
def served() -> Iterator[tuple[str, SandboxStore, Sandbox]]:
    store = generate_store(STORE_ID, orders=0, products=12, seed=5)
    sandbox = Sandbox([store], Faults())
    sandbox.add_token(TOKEN, STORE_ID)
    with serve_in_thread(create_app(sandbox)) as url:
        yield url, store, sandbox


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served) -> StockEnv:
    url, store, sandbox = served
    return make_env(tmp_path, monkeypatch, "available", url, store, sandbox)
