"""A served sandbox store, a clients file pointing at it, and a warehouse database.

Everything is real: the sandbox over HTTP on 127.0.0.1, the Ecwid client, SQLite. Each test
gets its own token, so the process-wide per-token rate limiter starts empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from npf_ecwid.config import ClientConfig, get_client
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.sandbox.store import SandboxStore, generate_store
from npf_ecwid.settings import Settings
from npf_ecwid.tables import NpfOrder, NpfShipment

STORE_ID = 1003


@dataclass
class TrackingEnv:
    sandbox: Sandbox
    store: SandboxStore
    api_url: str
    token_var: str
    token: str
    clients_file: Path
    data_dir: Path
    database_url: str
    engine: Engine

    def write_clients(self, **options: object) -> None:
        lines = [
            "[clients.ACME]",
            f"store_id = {STORE_ID}",
            f'token = "env:{self.token_var}"',
            f'api_url = "{self.api_url}"',
            'order_prefix = "ACME-"',
        ]
        lines += [
            f"{k} = {str(v).lower() if isinstance(v, bool) else v!r}" for k, v in options.items()
        ]
        self.clients_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def client(self) -> ClientConfig:
        return get_client(self.clients_file, "ACME")

    def settings(self) -> Settings:
        return Settings(
            NPF_CLIENTS=self.clients_file,
            NPF_DATA_DIR=self.data_dir,
            DATABASE_URL=self.database_url,
        )

    def env(self) -> dict[str, str]:
        return {
            "NPF_CLIENTS": str(self.clients_file),
            "NPF_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            self.token_var: self.token,
        }

    def new_orders(self, count: int) -> list[str]:
        """Paid orders awaiting processing in Ecwid, handed to the warehouse (npf_order)."""
        ids = [self.store.add_order()["id"] for _ in range(count)]
        self.hand_off(ids)
        return ids

    def hand_off(self, ids: list[str]) -> None:
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            for order_id in ids:
                session.add(
                    NpfOrder(
                        client="ACME",
                        ecwid_order_id=order_id,
                        order_ref=order_id,
                        received_at=now,
                        updated_at=now,
                        changed_at=now,
                        content_hash="test",
                    )
                )
            session.commit()

    def ship(self, order_id: str, number: str, carrier: str | None = "AusPost", **extra) -> None:
        with Session(self.engine) as session:
            session.add(
                NpfShipment(
                    client="ACME",
                    ecwid_order_id=order_id,
                    tracking_number=number,
                    carrier=carrier,
                    shipped_at=datetime.now(UTC),
                    **extra,
                )
            )
            session.commit()

    def puts(self) -> list:
        return [w for w in self.store.write_log if w.method == "PUT"]

    def puts_by_order(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for write in self.puts():
            order_id = write.path.rsplit("/", 1)[-1]
            counts[order_id] = counts.get(order_id, 0) + 1
        return counts


@pytest.fixture
def tracking_env(tmp_path, monkeypatch) -> Iterator[TrackingEnv]:
    store = generate_store(STORE_ID, orders=5, products=10, order_prefix="ACME-")
    sandbox = Sandbox([store], faults=Faults())
    token = f"sandbox-token-{uuid.uuid4().hex[:8]}"
    sandbox.add_token(token, STORE_ID)
    database_url = f"sqlite:///{tmp_path}/npf.db"
    engine = get_engine(database_url)
    upgrade(engine)
    with serve_in_thread(create_app(sandbox)) as api_url:
        env = TrackingEnv(
            sandbox,
            store,
            api_url,
            "ACME_ECWID_TOKEN",
            token,
            tmp_path / "clients.toml",
            tmp_path / "data",
            database_url,
            engine,
        )
        env.write_clients(push_tracking_url=True)
        for key, value in env.env().items():
            monkeypatch.setenv(key, value)
        yield env
