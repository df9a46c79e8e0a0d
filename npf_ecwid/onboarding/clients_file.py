"""Adding a client's table to the clients file, keeping the operator's comments and layout.

tomlkit (not tomllib + a writer) because the clients file is edited by people too: a
style-preserving round trip keeps their comments and ordering. The table is validated with the
same model `load_clients` uses before anything is written, and a token can't get in: `token`
must be an `env:`/`secret:` reference (the model refuses anything else).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit

from npf_ecwid.config import ClientConfig, ConfigError, parse_client, refuse_case_twins


def _plain(value: Any) -> Any:
    """TOML-ready value: dates and times as the strings the clients file uses."""
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.value if hasattr(value, "value") else value


def client_table(config: ClientConfig) -> dict[str, Any]:
    """The fields that differ from the defaults, in model order (a short, readable table)."""
    defaults = ClientConfig(code=config.code, store_id=1, token="env:X")  # noqa: S106 - a reference
    table: dict[str, Any] = {}
    for name in ClientConfig.model_fields:
        if name == "code":
            continue
        value = getattr(config, name)
        if name in {"store_id", "token"} or value != getattr(defaults, name):
            table[name] = _plain(value)
    return table


def add_client(
    path: Path, code: str, fields: dict[str, Any], *, replace: bool = False
) -> ClientConfig:
    """Validate and write `[clients.CODE]`; refuses an existing code unless `replace`.

    The file is replaced atomically (temp file + rename) so a crash never leaves half a file.
    """
    config = parse_client(code, fields)
    document = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    )
    clients = document.setdefault("clients", tomlkit.table(is_super_table=True))
    if code in clients and not replace:
        raise ConfigError(f"client {code}: already in {path} (use --replace to overwrite)")
    refuse_case_twins([*clients, code] if code not in clients else clients, path)
    table = tomlkit.table()
    for key, value in client_table(config).items():
        table[key] = value
    clients[code] = table
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as out:
        out.write(tomlkit.dumps(document))
    os.replace(out.name, path)
    return config
