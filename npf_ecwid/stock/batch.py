"""Send inventory deltas as Ecwid batches: one `POST /batch` (<= 500 deltas) plus polls each.

Each chunk is its own `run_batch` call, so its outcomes are recorded before the next chunk goes
and a lost answer for one chunk leaves the others' outcomes known. Outcome per sub-request:

| Ecwid's answer | state |
|---|---|
| COMPLETED, HTTP < 400 | applied |
| NOT_EXECUTED, or FAILED with a 4xx | failed (did not apply) |
| FAILED with a 5xx (Ecwid already retried it 5 times), or no answer for it | uncertain |
| the POST itself refused (4xx, or 429/connect errors after retries) | failed, whole chunk |
| the POST's answer lost | re-POSTed with the same `deduplicationKey` (no second run) |
| a poll's answer lost after retries, or still running at the deadline | uncertain, whole chunk |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from npf_ecwid.ecwid.batch import BatchRequest, BatchResponse
from npf_ecwid.ecwid.errors import EcwidError, EcwidWriteUncertain, clean_error_text
from npf_ecwid.locks import may_write
from npf_ecwid.stock.history import PushState, record_outcomes

Outcome = tuple[PushState, str | None]


class _HeldBack(Exception):
    """The fencing check refused the chunk: not sent, so failed (not uncertain)."""


def inventory_path(product_id: int, combination_id: int | None) -> str:
    if combination_id is None:
        return f"/products/{product_id}/inventory"
    return f"/products/{product_id}/combinations/{combination_id}/inventory"


def batch_requests(rows: Sequence[dict[str, object]], ids: Sequence[int]) -> list[BatchRequest]:
    """One PUT per delta; the sub-request id is the history row id, to match answers back."""
    return [
        BatchRequest(
            id=str(push_id),
            path=inventory_path(row["product_id"], row["combination_id"]),  # type: ignore[arg-type]
            method="PUT",
            body={"quantityDelta": row["delta"]},
        )
        for push_id, row in zip(ids, rows, strict=True)
    ]


def _judge(answer: BatchResponse | None) -> Outcome:
    if answer is None:
        return PushState.UNCERTAIN, "no answer for this request in the batch result"
    if answer.ok:
        return PushState.APPLIED, None
    body = clean_error_text(str(answer.http_body or ""))  # Ecwid's text: may echo the request
    text = f"batch {answer.status} {answer.http_status_code or ''} {body}"
    if answer.status == "FAILED" and (answer.http_status_code or 500) >= 500:
        return PushState.UNCERTAIN, text.strip()
    return PushState.FAILED, text.strip()


async def push_batches(
    ecwid: object,
    engine: Engine,
    rows: Sequence[dict[str, object]],
    ids: Sequence[int],
    *,
    size: int,
    check: Callable[[], None],
) -> list[Outcome]:
    """Send `rows` (already recorded as intents `ids`) in chunks of `size`; record outcomes.
    `check` (the writer lock's fencing check) runs before each chunk's POST."""
    results: list[Outcome] = []
    for start in range(0, len(rows), size):
        chunk_ids = list(ids[start : start + size])
        requests = batch_requests(rows[start : start + size], chunk_ids)
        refused = await may_write(check)
        try:
            if refused:
                raise _HeldBack(refused)
            answers = await ecwid.run_batch(requests)  # type: ignore[attr-defined]
        except EcwidWriteUncertain as error:
            outcomes: list[Outcome] = [(PushState.UNCERTAIN, str(error))] * len(requests)
        except (EcwidError, _HeldBack) as error:
            outcomes = [(PushState.FAILED, str(error))] * len(requests)
        else:
            by_id = {answer.id: answer for answer in answers}
            outcomes = [_judge(by_id.get(str(push_id))) for push_id in chunk_ids]
        record_outcomes(engine, [(i, s, e) for i, (s, e) in zip(chunk_ids, outcomes, strict=True)])
        results.extend(outcomes)
    return results
