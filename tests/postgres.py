"""PostgreSQL for tests: a throwaway server started by the test session (pytest plugin).

- `NPF_TEST_POSTGRES_URL` set: use that server (a superuser URL; databases are created in it).
- else, when the server binaries exist (`/usr/lib/postgresql/*/bin/initdb`, installed by
  `.ci/run`), start one on a free 127.0.0.1 port in a temp dir, stopped at session end. As root,
  initdb/pg_ctl run as the `postgres` user (PostgreSQL refuses to run as root).
- else skip, with the reason shown in the test summary.

`postgres_url` gives each test its own fresh database.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A superuser SQLAlchemy URL (psycopg 3) for a running server."""
    external = os.environ.get("NPF_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        pytest.skip("PostgreSQL tests skipped: no server binaries (run .ci/run as root to install)")
    bindir = Path(binaries[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="npf-pg-"))
    datadir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    try:
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U",
                          "postgres", "--no-sync"]), **run)  # fmt: skip
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l",
                          str(root / "log"), "-w", "start"]), **run)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(root, ignore_errors=True)
        output = getattr(error, "stderr", b"") or b""
        pytest.skip(f"PostgreSQL tests skipped: server did not start: {output.decode()[-300:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


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
