"""Per-client positions of the order pull that only move forward (the order watermark, the
deleted-orders watermark): one read and one upsert for every such table.

Functions take the caller's `Connection`, so a position commits with what it covers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, select

from npf_ecwid.db import dialect_insert


def read_mark(connection: Connection, table: Table, column: str, client: str) -> datetime | None:
    return connection.execute(
        select(table.c[column]).where(table.c.client == client)
    ).scalar_one_or_none()


def advance_mark(
    connection: Connection,
    table: Table,
    column: str,
    client: str,
    value: datetime | None,
    run_at: datetime,
) -> None:
    """Store `value` in `table.column` unless the stored one is later (it never moves back,
    so a manual catch-up cannot rewind it); records the run time (`last_run_at`) either way
    once a position exists. `table` is keyed on `client`."""
    current = read_mark(connection, table, column, client)
    target = value if current is None or (value is not None and value > current) else current
    if target is None:
        return
    statement = dialect_insert(connection, table).values(
        {"client": client, column: target, "last_run_at": run_at}
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["client"], set_={column: target, "last_run_at": run_at}
        )
    )
