"""Databases as versions before migrations made them: `init_db`'s `create_all` of the tables,
no `alembic_version`; optionally from before session 5 (no `npf_order.cancel_reason`, no
`uq_npf_shipment_parcel`), as the earlier upgrade tests made them.

Built with a plain engine of their own: `get_engine`'s engines refuse a database that is not
at head. When a revision after the baseline changes a table, build these from the baseline
instead (`command.upgrade(config, "0001_baseline")`, then drop `alembic_version`)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from npf_ecwid.db import import_table_modules, normalise_url


def legacy_database(url: str, *, before_session5: bool = False) -> Engine:
    """Make the old schema at `url` (empty database) and return a plain engine on it for
    seeding rows; dispose it before upgrading."""
    import_table_modules()
    engine = create_engine(normalise_url(url))
    SQLModel.metadata.create_all(engine)
    if before_session5:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX uq_npf_shipment_parcel"))
            connection.execute(text("ALTER TABLE npf_order DROP COLUMN cancel_reason"))
    return engine
