"""Database engine and schema creation for the warehouse interface and state tables.

SQLite is the embedded default (a file under `NPF_DATA_DIR`); PostgreSQL works through
`DATABASE_URL` (`postgresql+psycopg://...`; `postgresql://` and `postgres://` are accepted and
mapped to the psycopg 3 driver).

SQLite is set up for several processes at once (flows, the CLI, a WMS reader):
- WAL journal: readers never block the writer and vice versa;
- `busy_timeout`: a writer waits for the lock instead of failing with "database is locked";
- every transaction starts with `BEGIN IMMEDIATE`, so the write lock is taken up front. With
  pysqlite's default deferred `BEGIN`, a read that later upgrades to a write can get
  SQLITE_BUSY at once (the busy handler is not used for upgrades), which is what makes
  concurrent SQLite writers fail; taking the lock first makes them queue instead.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from npf_ecwid.settings import get_settings

# Modules that declare SQLModel tables; `init_db` imports them all before `create_all`.
# Other areas append their own state-table modules here (one line each).
TABLE_MODULES: list[str] = [
    "npf_ecwid.tables",
    "npf_ecwid.tracking.ledger",
    "npf_ecwid.stock.history",
    "npf_ecwid.orders.deletion_tables",
    "npf_ecwid.locks",
    "npf_ecwid.shipping.rates_keys",
    "npf_ecwid.orders.events",
    "npf_ecwid.onboarding.check_log",
    "npf_ecwid.breaker.store",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000
log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_engines_lock = Lock()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back as an aware UTC datetime.

    SQLite has no time zone type (it would hand back naive values); PostgreSQL stores
    `timestamptz`. Naive values written here are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}; store aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Map plain PostgreSQL URLs to the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: settings' effective database URL), one per URL per process.

    Creates the SQLite file's directory. Safe to call from many places: engines are cached.
    """
    resolved = normalise_url(url or get_settings().effective_database_url)
    with _engines_lock:
        engine = _engines.get(resolved)
        if engine is None:
            if resolved.startswith("sqlite"):
                engine = _sqlite_engine(resolved)
            else:
                engine = create_engine(resolved, pool_pre_ping=True)
            _engines[resolved] = engine
        return engine


def dialect_insert(connection: Connection, table: Table) -> Any:
    """`INSERT` with `.on_conflict_do_update/nothing` and `.excluded` for this connection's
    dialect (SQLite or PostgreSQL): the one upsert both databases share."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts on {connection.dialect.name} are not supported")


def in_chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Slices of `values` small enough for an `IN (...)` list on every supported database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dispose_engine(url: str) -> None:
    """Close and forget the cached engine for `url` (tests dropping a database use this)."""
    with _engines_lock:
        engine = _engines.pop(normalise_url(url), None)
    if engine is not None:
        engine.dispose()


def import_table_modules() -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)


def init_db(engine: Engine) -> None:
    """Create every table declared in `TABLE_MODULES` that does not exist yet, then run each
    module's `upgrade(connection) -> list[str]` (if it has one), which brings tables made by an
    older version up to date (new columns, keys). All idempotent, in one transaction.

    Safe when several processes start at once: SQLite serialises through BEGIN IMMEDIATE,
    PostgreSQL through a transaction-scoped advisory lock.
    """
    import_table_modules()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(8675309)"))
        SQLModel.metadata.create_all(connection)
        for name in TABLE_MODULES:
            step = getattr(importlib.import_module(name), "upgrade", None)
            for change in step(connection) if step is not None else ():
                log.warning("database upgraded: %s", change)


def add_missing_columns(connection: Connection, columns: list[tuple[str, str, str]]) -> list[str]:
    """Add `(table, column, SQL type)` columns that tables created by an older version lack
    (nullable columns only, so rows already there stay valid): `create_all` never alters a
    table and there are no migrations yet. Idempotent; a table module's `upgrade` calls it under
    `init_db`'s lock. SQLite has no `ADD COLUMN IF NOT EXISTS`, so the columns are looked up."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    done = []
    for table, column, sql_type in columns:
        if table not in tables or column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        connection.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type}'))
        done.append(f"{table}: added column {column}")
    return done
