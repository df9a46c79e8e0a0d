"""Tests that start npf-ecwid or Prefect processes (serve, a worker) the way an operator does:
the same settings in this test and in those processes, and what the warehouse holds after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.tables import NpfOrder


def operator_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clients_file: Path, **settings: str
) -> tuple[Engine, dict[str, str]]:
    """Sets the settings here (a fresh SQLite warehouse under `tmp_path` unless given) and
    returns its engine and the environment for child processes."""
    env = {
        "NPF_CLIENTS": str(clients_file),
        "NPF_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'npf.db'}",
        **settings,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    engine = get_engine()
    upgrade(engine)
    return engine, {**os.environ, **env}


def orders_handed_off(engine: Engine, client: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(NpfOrder).where(NpfOrder.client == client)
        return session.execute(query).scalar_one()
