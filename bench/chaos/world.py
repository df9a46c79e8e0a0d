"""The chaos run's world: three client stores with different filters, their tokens, the
clients file, the data folder and the environment every flow child process gets.

Tokens are long random strings that occur nowhere else, so a leak check can grep for them in
every byte the run produced (child output, data folder, database, Prefect's database).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from npf_ecwid.sandbox import Sandbox, SandboxStore, generate_store


@dataclass(frozen=True)
class ClientSpec:
    """One client: its store, its filters (the clients-file table) and options."""

    code: str
    store_id: int
    store_prefix: str  # the prefix the Ecwid store puts on new order ids
    table: dict[str, Any]  # the `[clients.CODE]` table, minus token and store_id

    @property
    def token_var(self) -> str:
        return f"CHAOS_{self.code}_TOKEN"

    @property
    def push_tracking_url(self) -> bool:
        return bool(self.table.get("push_tracking_url", False))

    @property
    def stock_mode(self) -> str:
        return str(self.table.get("stock", "off"))


def default_clients(today: date | None = None) -> list[ClientSpec]:
    """Three clients chosen so their filters differ on every axis the warehouse offers."""
    today = today or datetime.now(UTC).date()
    return [
        ClientSpec(
            "ACME",
            2001,
            "ACME-",
            {
                "order_prefix": "ACME-",
                "order_start_date": (today - timedelta(days=60)).isoformat(),
                "countries": ["AU", "NZ"],
                "fulfillment_statuses": ["AWAITING_PROCESSING", "PROCESSING"],
                "payment_statuses": ["PAID"],
                "push_tracking_url": True,
                "stock": "available",
            },
        ),
        ClientSpec(
            "BETA",
            2002,
            "BT-",
            {
                "order_prefix": "BT-",
                "payment_statuses": ["PAID", "AWAITING_PAYMENT"],
                "push_tracking_url": False,
                "stock": "on_hand",
            },
        ),
        ClientSpec(
            "GAMMA",
            2003,
            "G-",
            {
                "order_start_date": (today - timedelta(days=30)).isoformat(),
                "countries": ["AU"],
                "fulfillment_statuses": ["AWAITING_PROCESSING"],
                "push_tracking_url": True,
                "stock": "off",
            },
        ),
    ]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def clients_toml(specs: list[ClientSpec]) -> str:
    lines: list[str] = []
    for spec in specs:
        lines.append(f"[clients.{spec.code}]")
        lines.append(f"store_id = {spec.store_id}")
        lines.append(f'token = "env:{spec.token_var}"')
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in spec.table.items())
        lines.append("")
    return "\n".join(lines)


@dataclass
class World:
    """Everything the run owns. `tokens[code]` is the live token of each client."""

    root: Path
    specs: list[ClientSpec]
    sandbox: Sandbox
    tokens: dict[str, str] = field(default_factory=dict)
    database_url: str = ""

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def clients_file(self) -> Path:
        return self.root / "clients.toml"

    def spec(self, code: str) -> ClientSpec:
        return next(s for s in self.specs if s.code == code)

    def store(self, code: str) -> SandboxStore:
        return self.sandbox.store(self.spec(code).store_id)

    def child_env(self, base: dict[str, str], api_url: str, prefect_api_url: str) -> dict[str, str]:
        env = dict(base)
        env.update(
            NPF_CLIENTS=str(self.clients_file),
            NPF_DATA_DIR=str(self.data_dir),
            DATABASE_URL=self.database_url,
            ECWID_API_URL=api_url,
            ECWID_TIMEOUT_S="3",
            PREFECT_API_URL=prefect_api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
            PYTHONUNBUFFERED="1",
        )
        env.update({self.spec(code).token_var: token for code, token in self.tokens.items()})
        return env


def build_world(
    root: Path,
    *,
    orders_per_store: int = 300,
    products: int = 30,
    seed: int = 7,
    database_url: str | None = None,
    specs: list[ClientSpec] | None = None,
) -> World:
    """Generate the stores, register a fresh token per client, write the clients file."""
    specs = specs or default_clients()
    stores = [
        generate_store(
            spec.store_id,
            orders=orders_per_store,
            seed=seed + i,
            order_prefix=spec.store_prefix,
            products=products,
        )
        for i, spec in enumerate(specs)
    ]
    sandbox = Sandbox(stores, seed=seed)
    world = World(root, specs, sandbox)
    for spec in specs:
        token = f"chaos-{spec.code.lower()}-{secrets.token_hex(16)}"
        world.tokens[spec.code] = token
        sandbox.add_token(token, spec.store_id)
    for folder in (world.data_dir, world.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)
    world.database_url = database_url or f"sqlite:///{(world.data_dir / 'npf.db').resolve()}"
    world.clients_file.write_text(clients_toml(specs), encoding="utf-8")
    return world
