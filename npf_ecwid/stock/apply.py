"""Push a plan's changes to Ecwid as `quantityDelta` inventory adjustments, with a history.

Safety against double-applying (a delta PUT is not idempotent):
* every delta is recorded as `intent` before it is sent, then `applied`/`failed`/`uncertain`;
* the client never retries a single delta PUT whose answer was lost or was a 5xx
  (`EcwidWriteUncertain`); a 429 or a connect error is retried because Ecwid ignored it. A
  batch POST is retried: its `deduplicationKey` makes Ecwid answer a re-POST with the first
  batch's ticket instead of running it again (`ecwid.batch.run_batch`);
* nothing here ever resends a recorded delta. An uncertain or interrupted push is settled by the
  next run, which re-reads Ecwid and recomputes the delta from the fresh quantity.

Deltas go one request each, or as Ecwid batches (`POST /batch`, up to 500 each, then polled) once
there are at least `BATCH_MIN` of them, where batching costs fewer requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd
from sqlalchemy import Engine

from npf_ecwid.ecwid.batch import BatchRequest, BatchResponse
from npf_ecwid.ecwid.errors import EcwidError, EcwidWriteUncertain
from npf_ecwid.ecwid.models import UpdateResult
from npf_ecwid.locks import WriteCheck, may_write, no_check
from npf_ecwid.stock.batch import push_batches
from npf_ecwid.stock.history import PushState, record_intents, record_outcomes

BATCH_MIN = 20  # below this, single PUTs (run concurrently) are as cheap and finish sooner
BATCH_SIZE = 500  # Ecwid's maximum per batch


class InventoryWriter(Protocol):
    """The part of `EcwidClient` the push needs."""

    async def run_batch(
        self, requests: list[BatchRequest], *, poll_interval: float = 0.5
    ) -> list[BatchResponse]: ...

    async def adjust_product_inventory(self, product_id: int, delta: int) -> UpdateResult: ...

    async def adjust_combination_inventory(
        self, product_id: int, combination_id: int, delta: int
    ) -> UpdateResult: ...


@dataclass
class PushOutcome:
    """Per pushed SKU: the state and the delta that surely landed (0 unless `applied`)."""

    states: dict[str, PushState] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def count(self, state: PushState) -> int:
        return sum(1 for s in self.states.values() if s is state)

    @property
    def uncertain(self) -> int:
        return self.count(PushState.UNCERTAIN)


def _intent_rows(changes: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for row in changes.itertuples(index=False):
        combo = None if pd.isna(row.combination_id) else int(row.combination_id)
        rows.append(
            {
                "sku": str(row.sku),
                "product_id": int(row.product_id),
                "combination_id": combo,
                "before": int(0 if pd.isna(row.ecwid_before) else row.ecwid_before),
                "target": int(row.target),
                "delta": int(row.delta),
            }
        )
    return rows


async def _one(
    ecwid: InventoryWriter, row: dict[str, object], check: WriteCheck
) -> tuple[PushState, str | None]:
    product_id, combo, delta = row["product_id"], row["combination_id"], row["delta"]
    refused = await may_write(check)
    if refused:
        return PushState.FAILED, refused
    try:
        if combo is None:
            await ecwid.adjust_product_inventory(product_id, delta)  # type: ignore[arg-type]
        else:
            await ecwid.adjust_combination_inventory(product_id, combo, delta)  # type: ignore[arg-type]
    except EcwidWriteUncertain as error:
        return PushState.UNCERTAIN, str(error)
    except EcwidError as error:  # refused, or never sent (429/connect errors after retries)
        return PushState.FAILED, str(error)
    return PushState.APPLIED, None


async def push_changes(
    ecwid: InventoryWriter,
    engine: Engine,
    *,
    run_id: str,
    client: str,
    changes: pd.DataFrame,
    batch_min: int | None = BATCH_MIN,
    check: WriteCheck = no_check,
) -> PushOutcome:
    """Send each change's delta once; record intent before and outcome after each one.

    Outcomes are written as they arrive, so a kill mid-push leaves `intent` rows only for the
    deltas whose answer never came. `batch_min=None` never batches. `check` (the writer lock's
    fencing check) runs before every request; a delta it holds back is recorded `failed` with a
    reason starting `LOCK_LOST` (it was not sent).
    """
    rows = _intent_rows(changes)
    outcome = PushOutcome()
    if not rows:
        return outcome
    batched = batch_min is not None and len(rows) >= batch_min
    if batched:
        for index, row in enumerate(rows):
            row["batch_key"] = f"{run_id[:8]}-{index // BATCH_SIZE + 1}"
    ids = record_intents(engine, run_id, client, rows)
    if batched:
        results = await push_batches(ecwid, engine, rows, ids, size=BATCH_SIZE, check=check)
    else:
        results = await _push_singly(ecwid, engine, rows, ids, check)
    for row, (state, error) in zip(rows, results, strict=True):
        outcome.states[str(row["sku"])] = state
        if error:
            outcome.errors[str(row["sku"])] = error
    return outcome


async def _push_singly(
    ecwid: InventoryWriter,
    engine: Engine,
    rows: Sequence[dict[str, object]],
    ids: Sequence[int],
    check: WriteCheck,
) -> list[tuple[PushState, str | None]]:
    async def send(push_id: int, row: dict[str, object]) -> tuple[PushState, str | None]:
        state, error = await _one(ecwid, row, check)
        # One small transaction per answer; run off the event loop so sends keep flowing.
        await asyncio.to_thread(record_outcomes, engine, [(push_id, state, error)])
        return state, error

    # The client bounds concurrency and the request rate; gather keeps the order of `rows`.
    return list(await asyncio.gather(*(send(i, r) for i, r in zip(ids, rows, strict=True))))
