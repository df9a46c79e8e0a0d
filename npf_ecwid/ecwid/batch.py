"""Ecwid batch requests: `POST /batch` (up to 500 sub-requests) then poll `GET /batch?ticket=`.

One batch costs two requests plus polls against the token's limit instead of one per
sub-request, which is what makes a daily stock push for a big catalogue fit in 600/min.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from npf_ecwid.ecwid.errors import EcwidWriteUncertain
from npf_ecwid.ecwid.models import EcwidModel
from npf_ecwid.ecwid.session import parse

if TYPE_CHECKING:
    from npf_ecwid.ecwid.client import EcwidClient

MAX_BATCH = 500  # Ecwid's limit per batch


def _blank_as_none(value: Any) -> Any:
    return None if value == "" else value


class BatchRequest(EcwidModel):
    """One request inside `POST /batch`; `path` is relative to the store, e.g.
    `/products/1/inventory`."""

    id: str | None = None
    path: str
    method: str = "PUT"
    # A JSON value; the batch docs type it `string` and their example sends `""` for a GET
    # (Ecwid/ecwid-api-docs includes/_batch_api.md), read here as no body.
    body: Annotated[dict[str, Any] | list[Any] | str | None, BeforeValidator(_blank_as_none)] = None

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class BatchResponse(EcwidModel):
    """One sub-request's outcome: `status` COMPLETED | FAILED | NOT_EXECUTED; `http_body` is its
    parsed JSON answer (Ecwid sends it as `escapedHttpBody` text with `escapedJson=true`)."""

    id: str | None = None
    status: str
    http_status_code: int | None = None
    http_status_line: str | None = None
    http_body: Any = None
    escaped_http_body: str | None = None

    @model_validator(mode="after")
    def _decode_escaped_body(self) -> BatchResponse:
        if self.http_body is None and self.escaped_http_body:
            try:
                self.http_body = json.loads(self.escaped_http_body)
            except ValueError:
                self.http_body = self.escaped_http_body
        return self

    @property
    def ok(self) -> bool:
        return self.status == "COMPLETED" and (self.http_status_code or 200) < 400


class BatchTicket(EcwidModel):
    ticket: str


class BatchStatus(EcwidModel):
    """`GET /batch?ticket=`: `status` QUEUED | IN_PROGRESS | COMPLETED."""

    status: str
    total_requests: int | None = None
    completed_requests: int | None = None
    responses: list[BatchResponse] = Field(default_factory=list)


async def run_batch(
    session: EcwidClient,
    requests: list[BatchRequest],
    *,
    poll_interval: float = 0.5,
    max_wait: float = 300.0,
) -> list[BatchResponse]:
    """Run `requests` in batches of up to 500, in order; one `BatchResponse` per request.

    Sub-requests run independently (`stopOnFirstFailure=false`): check each `ok`. Each batch
    gets a fresh `deduplicationKey`, kept for every retry of its POST: Ecwid remembers the key
    for an hour and answers a repeated POST with the first batch's ticket without running it
    again (docs.ecwid.com/api-reference/rest-api/batch-requests/create-batch-request: the
    `deduplicationKey` query param; the local docs/ecwid copy holds only the overview,
    docs/ecwid/api-reference/rest-api/batch-requests.md), so a
    POST whose answer was lost (timeout, dropped connection, 5xx) is re-sent, even for
    `quantityDelta` requests. A batch still running after `max_wait` seconds, or polls failing
    after retries, raise `EcwidWriteUncertain`: the caller re-reads before deciding again.
    """
    responses: list[BatchResponse] = []
    for start in range(0, len(requests), MAX_BATCH):
        chunk = requests[start : start + MAX_BATCH]
        responses.extend(await _one_batch(session, chunk, poll_interval, max_wait))
    return responses


async def _one_batch(
    session: EcwidClient, requests: list[BatchRequest], poll_interval: float, max_wait: float
) -> list[BatchResponse]:
    what = f"batch of {len(requests)} requests"
    response = await session.call(
        "POST",
        "/batch",
        what=what,
        # One key for every attempt of this POST, so a re-POST returns the first ticket.
        params={"stopOnFirstFailure": "false", "deduplicationKey": str(uuid.uuid4())},
        json=[request.to_body() for request in requests],
        idempotent=True,
    )
    ticket = parse(BatchTicket, response, what).ticket
    deadline = time.monotonic() + max_wait
    delay = min(0.05, poll_interval)
    while True:
        answer = await session.call(
            "GET", "/batch", what=what, params={"ticket": ticket, "escapedJson": "true"}
        )
        status = parse(BatchStatus, answer, what)
        if status.status == "COMPLETED":
            return status.responses
        if time.monotonic() >= deadline:
            raise EcwidWriteUncertain(
                f"{what}: still {status.status} after {max_wait:.0f} s "
                f"({status.completed_requests}/{status.total_requests} done); re-read before "
                "trying again"
            )
        await asyncio.sleep(delay)  # polling is the API's only way to learn the outcome
        delay = min(delay * 2, poll_interval)
