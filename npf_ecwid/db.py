"""Database engine for the warehouse interface and state tables, and the schema check.

The schema itself is made by the Alembic migrations in `npf_ecwid.migrations`
(`npf-ecwid db upgrade`); an engine only checks, once, that the database is at head.

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

import functools
import importlib
import logging
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

from npf_ecwid.settings import get_settings

# Modules that declare SQLModel tables; `import_table_modules` loads them all (for the
# migrations and the schema test).
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
    Its first connection raises `SchemaNotCurrent` unless the database is at head.
    """
    resolved = normalise_url(url or get_settings().effective_database_url)
    with _engines_lock:
        engine = _engines.get(resolved)
        if engine is None:
            if resolved.startswith("sqlite"):
                engine = _sqlite_engine(resolved)
            else:
                engine = create_engine(resolved, pool_pre_ping=True)
            _watch_schema(engine)
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
    """Import every module in `TABLE_MODULES`, so `SQLModel.metadata` holds all the tables
    (what the migrations' autogenerate and the schema test compare against)."""
    for module in TABLE_MODULES:
        importlib.import_module(module)


# --- schema check -------------------------------------------------------------------------
# Tables are created and changed only by the Alembic migrations (`npf_ecwid.migrations`,
# `npf-ecwid db upgrade`): a schema change from here on is a new revision in
# npf_ecwid/migrations/versions/, never a `create_all` or an ALTER in an adapter.
# Every engine checks once per process, on its first connection, that the database is at the
# head revision, so a worker on a database that was not upgraded stops at its first database
# step with what to run instead of "no such table".


class SchemaNotCurrent(RuntimeError):
    """The database is not at the revision this code expects (never migrated, or older)."""


_current: weakref.WeakSet[Engine] = weakref.WeakSet()
_unchecked: ContextVar[bool] = ContextVar("npf_schema_unchecked", default=False)


@contextmanager
def schema_unchecked() -> Iterator[None]:
    """Connections opened in this block skip the schema check (the migrations themselves)."""
    token = _unchecked.set(True)
    try:
        yield
    finally:
        _unchecked.reset(token)


# The migrations live in the `migrations` package beside this module; the engine's schema check
# reads their head from the files here, so `db` needs nothing from that package (which uses db).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "npf-ecwid db upgrade"


@functools.cache
def head_revision() -> str:
    """The newest revision this code knows (read once per process from `migrations/versions/`)."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR / 'versions'}")
    return head


def mark_schema_current(engine: Engine) -> None:
    """Record that `engine`'s database is at head (after an upgrade or a passing check)."""
    _current.add(engine)


def _stamped_revisions(dbapi_connection: Any) -> list[str] | None:
    """The rows of `alembic_version` read on the raw connection (outside SQLAlchemy's
    transaction handling, so the check never opens a transaction); None if it is missing."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT version_num FROM alembic_version")
        return [row[0] for row in cursor.fetchall()]
    except Exception:  # the DB-API's "no such table", whatever the driver calls it
        return None
    finally:
        cursor.close()
        if not getattr(dbapi_connection, "autocommit", True):
            dbapi_connection.rollback()  # psycopg: end the implicit transaction the SELECT began


def _watch_schema(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _check_schema(dbapi_connection: Any, _record: Any) -> None:
        if engine in _current or _unchecked.get():
            return
        head = head_revision()
        stamped = _stamped_revisions(dbapi_connection)
        if stamped == [head]:
            mark_schema_current(engine)
            return
        where = engine.url.render_as_string(hide_password=True)
        found = (
            "has no schema revision (new, or made before migrations)"
            if not stamped
            else f"is at revision {', '.join(stamped)}"
        )
        raise SchemaNotCurrent(
            f"database {where} {found}, this code needs revision {head}: "
            f"run `{UPGRADE_COMMAND}` (serve and the demo run it at start)"
        )
