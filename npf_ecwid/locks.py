"""One writer per client, enforced by the database (not only by the Prefect lane).

The Prefect lane (`runtime.lanes`) can be bypassed: a CLI run against another Prefect home, a
lease lost after failed renewals (`raise_on_lease_renewal_failure=False`), an operator freeing
a "stale" lane. Two stock runs at once then both push the same deltas (a delta is not
idempotent). So every run that writes to a client's Ecwid store (stock sync, tracking push)
also holds this lock, in the warehouse database every such run already uses:

- a row in `client_lock` per client: `owner` (`host:pid:run`), `acquired_at`, `expires_at`, and
  `fence`, a counter bumped every time the lock changes hands;
- SQLite: the row is taken and checked inside `BEGIN IMMEDIATE` transactions (`npf_ecwid.db`),
  so two takers are serialised; an expired row may be taken over (its fence is bumped), and so
  may the row of a killed run on this host (its pid is gone), at once;
- PostgreSQL: additionally `pg_try_advisory_lock` on a connection held for the whole run. The
  server drops it when that session ends (a killed process frees the lock at once), and while it
  is held no one can take the row over, even past its expiry.

Fencing: `Fence.check()` runs before every write to Ecwid. It fails with `LockLost` unless the
row still names this owner with this fence, and extends the expiry (so a live run renews the
lock as it writes; a run with no write for longer than the TTL may be taken over). A run that
was taken over (it stalled past its expiry, or its PostgreSQL session died) therefore never
sends another write. The order pull is not locked: it writes only to the warehouse,
idempotently by unique key, all or nothing per batch.

Limit: Ecwid has no fencing tokens, so a run that passed its check and then stalled for longer
than the TTL before its request left could still overlap its successor's first write; the TTL
(minutes) is far above the milliseconds between a check and its send.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Engine, create_engine, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Field, SQLModel

from npf_ecwid.db import UTCDateTime

DEFAULT_TTL = timedelta(minutes=10)
NOT_SENT = "not sent: "  # reason prefix of writes held back because the lock was lost
Clock = Callable[[], datetime]
WriteCheck = Callable[[], None]  # raises `LockLost` when this run may no longer write


def _now() -> datetime:
    return datetime.now(UTC)


class ClientLockRow(SQLModel, table=True):
    """Who may write to a client's Ecwid store right now (see the module docstring)."""

    __tablename__ = "client_lock"

    client: str = Field(primary_key=True, max_length=40)
    owner: str = Field(max_length=200)
    acquired_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=False)
    )
    fence: int = 0


LOCKS = ClientLockRow.__table__  # type: ignore[attr-defined]


class LockHeld(RuntimeError):
    """Another live run holds the client's lock; this run did nothing."""

    def __init__(self, client: str, owner: str | None, since: datetime | None) -> None:
        holder = f"owner {owner} since {since.isoformat(timespec='seconds')}" if owner else "?"
        super().__init__(f"client {client}: another run holds the lock ({holder})")
        self.client, self.owner, self.since = client, owner, since


class LockLost(RuntimeError):
    """This run no longer holds the client's lock (taken over after expiry); it must stop
    writing. Whatever it wrote before stays recorded; the current holder carries on."""


def no_check() -> None:
    """The check of callers that hold no writer lock (tests of a push alone, dry runs)."""


async def may_write(check: WriteCheck) -> str | None:
    """Run the fencing check off the event loop: the reason not to send, or None to send."""
    try:
        await asyncio.to_thread(check)
    except LockLost as error:
        return f"{NOT_SENT}{error}"
    return None


def default_owner() -> str:
    """`host:pid:random`: unique per run, readable in the lock row and in messages."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def advisory_key(client: str, purpose: str = "lock") -> int:
    """A stable 63-bit key per client for PostgreSQL advisory locks (namespaced by a prefix)."""
    return (0x4E5046 << 32) | zlib.crc32(f"npf-client-{purpose}:{client}".encode())


def gate_key(client: str) -> int:
    return advisory_key(client, "gate")


@dataclass(frozen=True)
class Fence:
    """Proof of holding a client's lock: checked (and the expiry extended) before each write.

    Plain data plus the engine, so it can be handed to tasks and library functions."""

    engine: Engine
    client: str
    owner: str
    fence: int
    ttl: timedelta = DEFAULT_TTL
    clock: Clock = _now

    def check(self) -> None:
        """Raise `LockLost` unless this run still holds the lock; extend its expiry.

        Owner and fence decide, not the expiry: a lock that expired but was not taken over
        is still ours (no one else can have written meanwhile)."""
        now = self.clock()
        with self.engine.begin() as connection:
            result = connection.execute(
                update(LOCKS)
                .where(
                    LOCKS.c.client == self.client,
                    LOCKS.c.owner == self.owner,
                    LOCKS.c.fence == self.fence,
                )
                .values(expires_at=now + self.ttl)
            )
            if result.rowcount == 1:
                return
            holder = connection.execute(select(LOCKS).where(LOCKS.c.client == self.client)).first()
        who = f"owner {holder.owner}, fence {holder.fence}" if holder else "nobody"
        raise LockLost(
            f"client {self.client}: this run (owner {self.owner}, fence {self.fence}) lost the "
            f"writer lock (now {who}); stopped before writing to Ecwid"
        )


def owner_is_dead(owner: str) -> bool:
    """True when `owner` (`host:pid:...`) names a process of this host that no longer exists:
    a killed run's lock (SQLite keeps the row) is taken over at once instead of after its
    expiry. Unknown hosts, unparsable owners and live or unknowable pids count as alive."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: it exists under another user
        return False
    return False


def _take_row(
    connection: Connection, client: str, owner: str, now: datetime, ttl: timedelta, free: bool
) -> int:
    """Take the row (insert, or take over when expired or `free`); return the new fence."""
    row = connection.execute(select(LOCKS).where(LOCKS.c.client == client)).first()
    if row is None:
        connection.execute(
            LOCKS.insert().values(
                client=client, owner=owner, acquired_at=now, expires_at=now + ttl, fence=1
            )
        )
        return 1
    if row.expires_at > now and not free and not owner_is_dead(row.owner):
        raise LockHeld(client, row.owner, row.acquired_at)
    fence = row.fence + 1
    connection.execute(
        update(LOCKS)
        .where(LOCKS.c.client == client)
        .values(owner=owner, acquired_at=now, expires_at=now + ttl, fence=fence)
    )
    return fence


_session_engines: dict[str, Engine] = {}
_session_engines_lock = threading.Lock()


def _session_engine(engine: Engine) -> Engine:
    """An engine without a pool for `engine`'s database (one connection per held lock)."""
    key = engine.url.render_as_string(hide_password=False)
    with _session_engines_lock:
        if key not in _session_engines:
            _session_engines[key] = create_engine(engine.url, poolclass=NullPool)
        return _session_engines[key]


def _release(engine: Engine, fence: Fence) -> None:
    """Expire the row now, if still ours. The row stays (last holder visible, and the fence
    counter keeps growing: a fence value is never handed out twice)."""
    with engine.begin() as connection:
        connection.execute(
            update(LOCKS)
            .where(
                LOCKS.c.client == fence.client,
                LOCKS.c.owner == fence.owner,
                LOCKS.c.fence == fence.fence,
            )
            .values(expires_at=fence.clock())
        )


@contextmanager
def client_lock(
    engine: Engine,
    client: str,
    owner: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    clock: Clock = _now,
) -> Iterator[Fence]:
    """Hold `client`'s writer lock for the block; yields the `Fence` to check before writes.

    Raises `LockHeld` at once (no waiting) when another live run holds it. Released on exit
    (only if still ours: a run taken over does not free its successor's lock).
    """
    owner = owner or default_owner()
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:  # BEGIN IMMEDIATE: takers are serialised
            fence = Fence(
                engine,
                client,
                owner,
                _take_row(connection, client, owner, clock(), ttl, False),
                ttl,
                clock,
            )
        try:
            yield fence
        finally:
            _release(engine, fence)
        return
    # Holds the advisory lock for the run and dies with the process. Its own unpooled
    # connection: held for a whole run, it must not take a slot of the shared pool.
    session = _session_engine(engine).connect()
    try:
        # Takers queue on a transaction-scoped gate, so a loser reads the winner's row only
        # after the winner committed it (the message then names the holder).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": gate_key(client)})
        got = session.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(client)}
        ).scalar()
        if not got:
            row: Any = session.execute(select(LOCKS).where(LOCKS.c.client == client)).first()
            session.commit()
            raise LockHeld(client, row.owner if row else None, row.acquired_at if row else None)
        # Holding the advisory lock proves no live holder: take the row over even if an
        # earlier (dead) holder's expiry has not passed.
        taken = _take_row(session, client, owner, clock(), ttl, True)
        session.commit()  # ends the gate; the session-level lock stays until unlock/close
        fence = Fence(engine, client, owner, taken, ttl, clock)
        try:
            yield fence
        finally:
            _release(engine, fence)
            try:
                session.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(client)}
                )
                session.commit()
            except DBAPIError:
                session.invalidate()  # the session died, and the server dropped its lock
    finally:
        session.close()
