"""The `npf_token_breaker` table: one row per client whose token Ecwid has refused (or had).

States: no row or `ok` (use the token), `refused` (do not call Ecwid with this token). A row
keeps when and why it tripped (status, Ecwid's error code, which call; never the token) and the
fingerprint of the refused token (`fingerprint.py`), so a replaced token is recognised. It is
closed by a passing `clients check` or when a run finds a different token configured.

Writes are idempotent: tripping an already refused breaker for the same token changes nothing
and reports `False`, which is what keeps it to one alert per refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import Column, Engine, Text, select
from sqlmodel import Field, Session, SQLModel

from npf_ecwid.breaker.fingerprint import fingerprint, same_token
from npf_ecwid.db import UTCDateTime

OK = "ok"
REFUSED = "refused"


class TokenBreakerRow(SQLModel, table=True):
    __tablename__ = "npf_token_breaker"

    client: str = Field(primary_key=True, max_length=40)
    state: str = Field(max_length=10)
    refused_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    # salt$hash of the refused token; None when tripped without one (an uninstall webhook).
    token_fingerprint: str | None = Field(default=None, max_length=80)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_reason: str | None = Field(default=None, sa_column=Column(Text))
    checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


@dataclass(frozen=True)
class BreakerState:
    client: str
    state: str
    refused_since: datetime | None
    reason: str | None
    token_fingerprint: str | None
    closed_at: datetime | None
    closed_reason: str | None
    checked_at: datetime | None = None

    @property
    def refused(self) -> bool:
        return self.state == REFUSED

    def refuses(self, token: SecretStr) -> bool:
        """True while refused for `token`: the refused token itself, or any token when the
        breaker was tripped without one (the app was uninstalled: no token works)."""
        if not self.refused:
            return False
        return self.token_fingerprint is None or same_token(self.token_fingerprint, token)

    @property
    def since(self) -> str:
        return f"{self.refused_since:%Y-%m-%d %H:%M} UTC" if self.refused_since else "?"


def _state(row: TokenBreakerRow) -> BreakerState:
    return BreakerState(
        row.client,
        row.state,
        row.refused_since,
        row.reason,
        row.token_fingerprint,
        row.closed_at,
        row.closed_reason,
        row.checked_at,
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


def read_breaker(engine: Engine, client: str) -> BreakerState | None:
    with Session(engine) as session:
        row = session.get(TokenBreakerRow, client)
        return _state(row) if row is not None else None


def read_breakers(engine: Engine) -> dict[str, BreakerState]:
    with Session(engine) as session:
        rows = session.execute(select(TokenBreakerRow)).scalars()
        return {row.client: _state(row) for row in rows}


def trip(
    engine: Engine,
    client: str,
    reason: str,
    token: SecretStr | None,
    now: datetime | None = None,
) -> bool:
    """Mark `client`'s token refused. True when this is news (it was not already refused for
    this token): the caller alerts then, and only then. `token=None` refuses every token."""
    now = now or now_utc()
    with Session(engine) as session, session.begin():
        row = session.get(TokenBreakerRow, client)
        if row is not None and row.state == REFUSED:
            current = _state(row)
            if token is None or current.refuses(token):
                return False
        if row is None:
            row = TokenBreakerRow(client=client, state=REFUSED, updated_at=now)
            session.add(row)
        row.state = REFUSED
        row.refused_since = now
        row.reason = reason[:500]
        row.token_fingerprint = fingerprint(token) if token is not None else None
        row.closed_at = None
        row.closed_reason = None
        row.updated_at = now
    return True


def close(
    engine: Engine, client: str, why: str, now: datetime | None = None, *, checked: bool = False
) -> BreakerState | None:
    """Close a refused breaker; returns the state it had (None when it was not refused).
    `checked`: a `clients check` passed, remembered (for `clients list`) even if not refused."""
    now = now or now_utc()
    with Session(engine) as session, session.begin():
        row = session.get(TokenBreakerRow, client)
        if row is None:
            if not checked:
                return None
            row = TokenBreakerRow(client=client, state=OK, updated_at=now)
            session.add(row)
        previous = _state(row) if row.state == REFUSED else None
        if checked:
            row.checked_at = now
        if previous is not None:
            row.state = OK
            row.closed_at = now
            row.closed_reason = why[:200]
        row.updated_at = now
    return previous


def describe(state: BreakerState | None) -> str:
    """The token's state for `clients list`: `OK (checked ...)`, `refused since ... (why)`,
    `not checked`."""
    if state is None:
        return "not checked"
    if state.refused:
        return f"refused since {state.since} ({state.reason})"
    if state.checked_at is not None:
        return f"OK (checked {state.checked_at:%Y-%m-%d %H:%M} UTC)"
    if state.closed_at is not None:
        return f"OK ({state.closed_reason} {state.closed_at:%Y-%m-%d %H:%M} UTC)"
    return "not checked"
