"""The commands that run one flow for one client fail alike: a client that is not in the
clients file is one line on stderr naming the command, exit code 1, and no flow run starts
(so no Prefect server is needed to hear it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

COMMANDS = [["orders", "pull"], ["tracking", "push"], ["stock", "sync"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_unknown_client_fails_alike_before_any_flow_run(command, tmp_path: Path, monkeypatch):
    clients = tmp_path / "clients.toml"
    clients.write_text('[clients.ACME]\nstore_id = 1003\ntoken = "env:ACME_TOKEN"\n')
    monkeypatch.setenv("NPF_CLIENTS", str(clients))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # would fail if reached
    result = CliRunner().invoke(app, [*command, "--client", "NOPE"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{' '.join(command)} NOPE failed: client NOPE: not in {clients} (known: ACME)"
    ]
