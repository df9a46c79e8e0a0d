"""A sandbox Ecwid store served over real HTTP plus a clients file and data dir in tmp_path:
the environment an order pull runs in. Import the fixtures into a test module to use them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from npf_ecwid.db import get_engine
from npf_ecwid.sandbox import (
    Faults,
    Sandbox,
    SandboxStore,
    create_app,
    generate_store,
    serve_in_thread,
)
from tests.dbs import upgraded

STORE_ID = 1003
TOKEN = "sandbox-token"
TOKEN_ENV = "ACME_ECWID_TOKEN"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


@dataclass
class PullEnv:
    """Everything a test needs to drive and inspect pulls for client ACME."""

    tmp: Path
    store: SandboxStore
    sandbox: Sandbox
    api_url: str
    database_url: str

    def configure(self, code: str = "ACME", **fields: Any) -> None:
        """(Re)write the clients file with one client table."""
        table = {"store_id": STORE_ID, "token": f"env:{TOKEN_ENV}", "api_url": self.api_url}
        table |= fields
        body = f"[clients.{code}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table.items())
        (self.tmp / "clients.toml").write_text(body, encoding="utf-8")

    @property
    def engine(self) -> Engine:
        return get_engine(self.database_url)

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def order_ids(self, client: str = "ACME") -> list[str]:
        sql = "SELECT ecwid_order_id FROM npf_order WHERE client = :c ORDER BY 1"
        return [r[0] for r in self.rows(sql, c=client)]

    def env(self) -> dict[str, str]:
        """Environment for a subprocess running the CLI against this setup."""
        return {
            **os.environ,
            "NPF_CLIENTS": str(self.tmp / "clients.toml"),
            "NPF_DATA_DIR": str(self.tmp / "data"),
            "DATABASE_URL": self.database_url,
            TOKEN_ENV: TOKEN,
        }

    def wait_for_requests(self, count: int, path_prefix: str = "/orders", timeout: float = 30):
        """Block until the sandbox has answered `count` requests under `path_prefix`
        (a deterministic point inside a pull, for kills and fault injection)."""
        deadline = time.monotonic() + timeout
        while self.sandbox.count(status=200, path_prefix=path_prefix) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sandbox saw fewer than {count} {path_prefix} requests")
            time.sleep(0.005)


def expected_ids(store: SandboxStore, keep: Callable[[dict[str, Any]], bool]) -> list[str]:
    return sorted(o["id"] for o in store.orders() if keep(o))


@pytest.fixture
def orders_store() -> SandboxStore:
    return generate_store(STORE_ID, orders=320, seed=11, order_prefix="ACME-")


@pytest.fixture
def orders_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, orders_store: SandboxStore
) -> Iterator[PullEnv]:
    """Client ACME pulling from a sandbox over HTTP into SQLite under tmp_path (tests that
    want PostgreSQL set `orders_env.database_url` and DATABASE_URL themselves)."""
    sandbox = Sandbox([orders_store], Faults())
    sandbox.add_token(TOKEN, STORE_ID)
    database_url = upgraded(f"sqlite:///{tmp_path}/data/npf.db")
    monkeypatch.setenv("NPF_CLIENTS", str(tmp_path / "clients.toml"))
    monkeypatch.setenv("NPF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.delenv("NPF_ORDER_OUTBOX", raising=False)
    with serve_in_thread(create_app(sandbox)) as api_url:
        env = PullEnv(tmp_path, orders_store, sandbox, api_url, database_url)
        env.configure()
        yield env
