"""Stock push history: one `stock_run` row per run, one `stock_push` row per delta sent.

An inventory delta PUT is not idempotent, so every delta is written down as intent *before* it is
sent and its outcome after. The history is an audit trail, not a replay log: a re-run (after a
kill, a crash or an uncertain outcome) never resends recorded deltas; it re-reads Ecwid and
recomputes, which is correct whether the earlier delta landed or not. Intents left without an
outcome show that a run was interrupted; the next run reports how many.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Engine, Text, func, select, update
from sqlmodel import Field, Session, SQLModel

from npf_ecwid.db import UTCDateTime


def _ts(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class PushState(StrEnum):
    INTENT = "intent"  # about to be sent; stays so if the run dies before the answer
    APPLIED = "applied"  # Ecwid answered updateCount=1
    FAILED = "failed"  # Ecwid refused it (4xx): it did not apply
    UNCERTAIN = "uncertain"  # timeout/5xx/connection lost: may or may not have applied


class StockRun(SQLModel, table=True):
    __tablename__ = "stock_run"

    id: str = Field(primary_key=True, max_length=36)
    client: str = Field(max_length=40, index=True)
    started_at: datetime | None = _ts(nullable=False)
    finished_at: datetime | None = _ts()
    mode: str = Field(max_length=20)
    dry_run: bool = False
    forced: bool = False
    status: str = Field(default="running", max_length=20)  # running|done|refused|failed|skipped
    summary: str | None = Field(default=None, sa_column=Column(Text))  # JSON totals and reasons


class StockPush(SQLModel, table=True):
    __tablename__ = "stock_push"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=36, index=True)
    client: str = Field(max_length=40, index=True)
    sku: str
    product_id: int
    combination_id: int | None = None
    before: int
    target: int
    delta: int
    state: str = Field(default=PushState.INTENT.value, max_length=20)
    batch_key: str | None = Field(default=None, max_length=36)  # groups one batch's deltas
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = _ts(nullable=False)
    finished_at: datetime | None = _ts()


def _now() -> datetime:
    return datetime.now(UTC)


def start_run(engine: Engine, client: str, mode: str, *, dry_run: bool, forced: bool) -> str:
    run_id = str(uuid.uuid4())
    with Session(engine) as session:
        session.add(
            StockRun(
                id=run_id,
                client=client,
                started_at=_now(),
                mode=mode,
                dry_run=dry_run,
                forced=forced,
            )
        )
        session.commit()
    return run_id


def finish_run(engine: Engine, run_id: str, status: str, summary: dict[str, Any]) -> None:
    with Session(engine) as session:
        session.execute(
            update(StockRun)
            .where(StockRun.id == run_id)
            .values(status=status, finished_at=_now(), summary=json.dumps(summary, default=str))
        )
        session.commit()


def record_intents(
    engine: Engine, run_id: str, client: str, rows: Iterable[dict[str, Any]]
) -> list[int]:
    """Write one `intent` row per delta (keys: sku, product_id, combination_id, before, target,
    delta, optional batch_key) in one transaction, before anything is sent; ids in order."""
    pushes = [StockPush(run_id=run_id, client=client, created_at=_now(), **row) for row in rows]
    with Session(engine) as session:
        session.add_all(pushes)
        session.commit()
        return [push.id for push in pushes if push.id is not None]


def record_outcomes(engine: Engine, outcomes: Iterable[tuple[int, PushState, str | None]]) -> None:
    """Set each push's final state (and error text, never a token) in one transaction."""
    now = _now()
    with Session(engine) as session:
        for push_id, state, error in outcomes:
            session.execute(
                update(StockPush)
                .where(StockPush.id == push_id)
                .values(state=state.value, error=error, finished_at=now)
            )
        session.commit()


def unresolved_pushes(engine: Engine, client: str) -> int:
    """Deltas of earlier runs whose outcome is unknown (intent never answered, or uncertain)."""
    states = (PushState.INTENT.value, PushState.UNCERTAIN.value)
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(StockPush)
            .where(StockPush.client == client, StockPush.state.in_(states))  # type: ignore[attr-defined]
        )
    return int(count or 0)


def settle_unresolved(engine: Engine, client: str, run_id: str) -> int:
    """Mark earlier unresolved pushes as superseded by `run_id`'s fresh read (kept, not deleted)."""
    states = (PushState.INTENT.value, PushState.UNCERTAIN.value)
    with Session(engine) as session:
        result = session.execute(
            update(StockPush)
            .where(
                StockPush.client == client, StockPush.state.in_(states), StockPush.run_id != run_id
            )  # type: ignore[attr-defined]
            .values(state="superseded", error=f"outcome unknown; recomputed by run {run_id}")
        )
        session.commit()
        return int(result.rowcount or 0)
