"""`client_check`: the last `npf-ecwid clients check` verdict per client, for `npf-ecwid status`.

One row per client, overwritten by each check (the verdict and its detail, never a token).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Connection, Engine, Text, select
from sqlmodel import Field, SQLModel

from npf_ecwid.db import UTCDateTime, dialect_insert
from npf_ecwid.onboarding.check import CheckResult


class ClientCheck(SQLModel, table=True):
    __tablename__ = "client_check"

    client: str = Field(primary_key=True, max_length=40)
    checked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=False)
    )
    verdict: str = Field(max_length=40)
    detail: str | None = Field(default=None, sa_column=Column(Text))


CHECK = ClientCheck.__table__  # type: ignore[attr-defined]


def record_checks(engine: Engine, results: Iterable[CheckResult], at: datetime) -> None:
    """Store each client's latest verdict (idempotent upsert)."""
    rows = [
        {"client": r.client, "checked_at": at, "verdict": r.verdict.value, "detail": r.detail}
        for r in results
    ]
    if not rows:
        return
    with engine.begin() as connection:
        statement = dialect_insert(connection, CHECK)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["client"],
                set_={c: statement.excluded[c] for c in ("checked_at", "verdict", "detail")},
            ),
            rows,
        )


def last_check(connection: Connection, client: str) -> tuple[str, datetime] | None:
    """(verdict, when) of the client's last check, None if never checked."""
    row = connection.execute(
        select(CHECK.c.verdict, CHECK.c.checked_at).where(CHECK.c.client == client)
    ).first()
    return None if row is None else (row[0], row[1])
