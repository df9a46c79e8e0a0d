"""A throwaway PostgreSQL server for tests and benchmarks.

Started from the server binaries (`/usr/lib/postgresql/*/bin/initdb`, installed by `.ci/run`) on
a free 127.0.0.1 port in a temp dir, fsync off, stopped and deleted on exit. As root, initdb and
pg_ctl run as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No server binaries, or the server did not start; the message says which."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextmanager
def throwaway_postgres(max_connections: int = 100) -> Iterator[str]:
    """Yield a superuser URL, `postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        raise PostgresUnavailable("no server binaries (run .ci/run as root to install)")
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
        opts = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c max_connections={max_connections}"
        )
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l",
                          str(root / "log"), "-w", "start"]), **run)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(root, ignore_errors=True)
        output = getattr(error, "stderr", b"") or b""
        raise PostgresUnavailable(f"server did not start: {output.decode()[-300:]}") from None
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


def server_pid(url: str) -> int | None:
    """The postmaster's pid, for CPU accounting (None when unknown)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    backend = int(row[0]) if row else None
    if backend is None:
        return None
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
