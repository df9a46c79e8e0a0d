"""PostgreSQL for tests: a throwaway server started by the test session (pytest plugin).

- `NPF_TEST_POSTGRES_URL` set: use that server (a superuser URL; databases are created in it).
- else start a throwaway one (`npf_ecwid.testing.postgres`), stopped at session end.
- else skip, with the reason shown in the test summary.

`postgres_url` gives each test its own fresh database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from npf_ecwid.testing.postgres import PostgresUnavailable, throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A superuser SQLAlchemy URL (psycopg 3) for a running server."""
    external = os.environ.get("NPF_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    try:
        server = throwaway_postgres()
        url = server.__enter__()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        from npf_ecwid.db import dispose_engine

        dispose_engine(f"{base}/{name}")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
