"""Which client codes an Ecwid store id belongs to, from the clients file.

Re-read when the file changes, so a client onboarded while the server runs gets webhook-driven
syncs without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from npf_ecwid.config import ClientConfig, load_clients
from npf_ecwid.reloading import ReloadingFile

StoreLookup = Callable[[int], list[str]]


def _index(clients: Mapping[str, ClientConfig]) -> dict[int, list[str]]:
    index: dict[int, list[str]] = {}
    for code, client in clients.items():
        index.setdefault(client.store_id, []).append(code)
    return index


def static_stores(clients: Mapping[str, ClientConfig]) -> StoreLookup:
    index = _index(clients)
    return lambda store_id: index.get(store_id, [])


def file_stores(clients_file: Path) -> StoreLookup:
    """Client codes per store id from the clients file (usually one code per store)."""
    source = ReloadingFile(clients_file, lambda path: _index(load_clients(path)))
    return lambda store_id: source.get().get(store_id, [])
