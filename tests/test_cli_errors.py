"""CLI failures end with one line naming the cause, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_unreachable_prefect_server_is_one_line(tmp_path: Path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    env = {
        **os.environ,
        "NPF_CLIENTS": str(REPO / "clients.example.toml"),
        "ACME_ECWID_TOKEN": "secret_cli_token",
        "PREFECT_API_URL": f"http://127.0.0.1:{dead}/api",
        "NPF_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'npf.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "orders", "pull", "--client", "ACME"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: Failed to reach API at http://127.0.0.1:{dead}/api")
    assert "secret_cli_token" not in done.stdout + done.stderr
