"""Token leak check: every byte the run produced, searched for every client's token.

Searched: the children's captured output (`logs/`), the data folder (SQLite database and its
WAL, reports, outboxes), a dump of every row of every table in the warehouse database (so a
PostgreSQL `DATABASE_URL` is covered too), Prefect's artifacts and flow-run logs read back
through its API, and Prefect's own database file when it is a local SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import httpx
from sqlalchemy import Engine, MetaData, select


def files_with(tokens: Iterable[str], roots: Iterable[Path]) -> list[str]:
    needles = [t.encode() for t in tokens]
    hits = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            data = path.read_bytes()
            hits.extend(f"{path}" for n in needles if n in data)
    return hits


def rows_with(tokens: Iterable[str], engine: Engine) -> list[str]:
    metadata = MetaData()
    metadata.reflect(engine)
    hits = []
    with engine.connect() as connection:
        for table in metadata.tables.values():  # order does not matter; Prefect's has FK cycles
            for row in connection.execute(select(table)):
                text = repr(tuple(row))
                hits.extend(f"table {table.name}" for t in tokens if t in text)
    return hits


def prefect_with(tokens: Iterable[str], api_url: str) -> list[str]:
    """Artifacts and flow-run logs stored by the Prefect server the children used.

    Plain HTTP on the documented filter endpoints (the sync Prefect client sends a null sort
    for artifacts, which the 3.8 server rejects)."""
    tokens = list(tokens)
    hits: list[str] = []
    with httpx.Client(base_url=api_url.rstrip("/"), timeout=60) as http:
        for path, sort, what in (
            ("/artifacts/filter", "ID_DESC", "artifact"),
            ("/logs/filter", "TIMESTAMP_ASC", "prefect log"),
        ):
            offset = 0
            while True:
                response = http.post(path, json={"limit": 200, "offset": offset, "sort": sort})
                response.raise_for_status()
                batch = response.json()
                if not batch:
                    break
                for item in batch:
                    text = json.dumps(item)
                    hits.extend(
                        f"{what} {item.get('key') or item.get('flow_run_id')}"
                        for t in tokens
                        if t in text
                    )
                offset += len(batch)
    return hits
