"""Alembic schema migrations for the warehouse interface and state tables.

The one place the schema is created or changed: `upgrade(engine)` (run by `npf-ecwid db
upgrade`, `serve`, `shipping serve`, the demo and the CLI commands that open the database).
Adapters and flows never run DDL; a process that finds the database behind this code's head
revision stops with `SchemaNotCurrent` at its first database step (`npf_ecwid.db`).

Alembic is configured in code (no alembic.ini at runtime): the script location is this
package, the connection travels in `Config.attributes`. A schema change is a new revision in
`versions/` (`alembic revision --autogenerate -m "..."` from the repository root, then review
it); `tests/warehouse/test_migrations.py` fails while the tables and the revisions differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from npf_ecwid.db import (
    MIGRATIONS_DIR,
    head_revision,
    mark_schema_current,
    schema_unchecked,
)

# Taken for the whole upgrade on PostgreSQL so processes starting together migrate one at a
# time (SQLite serialises through the engine's BEGIN IMMEDIATE). The number `init_db` used.
_PG_LOCK_KEY = 8675309


@dataclass(frozen=True)
class UpgradeResult:
    """Where `upgrade` found the database and where it left it (None: no alembic_version)."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code; `connection` is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database; None for a fresh or pre-Alembic database."""
    return MigrationContext.configure(connection).get_current_revision()


def revision_of(engine: Engine) -> str | None:
    """`current_revision` on a connection of its own (works on a database not at head)."""
    with schema_unchecked(), engine.connect() as connection:
        return current_revision(connection)


def upgrade(engine: Engine) -> UpgradeResult:
    """Bring the database to head in one transaction: cheap when already there (one SELECT).

    A database made before migrations existed (tables, no `alembic_version`) is brought to the
    baseline by the baseline revision itself, which creates only what is missing and applies
    the older in-place upgrades; then it is stamped and later revisions run as usual.
    """
    head = head_revision()
    with schema_unchecked(), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = current_revision(connection)
        if before != head:
            command.upgrade(alembic_config(connection), "head")
    mark_schema_current(engine)
    return UpgradeResult(before=before, after=head)
