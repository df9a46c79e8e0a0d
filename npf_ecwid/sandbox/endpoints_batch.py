"""`POST /batch` and `GET /batch?ticket=` (docs.ecwid.com "Batch requests").

The sandbox runs a batch synchronously when it is posted, one request after another (a valid
schedule for `allowParallelMode=true` too), each through the same `dispatch` as a direct call:
same scopes, errors and write log (entries carry the batch ticket). `stopOnFirstFailure`
(default true) marks the requests after the first non-2xx one NOT_EXECUTED. A repeated
`deduplicationKey` within an hour returns the first ticket without running anything again
(docs.ecwid.com/api-reference/rest-api/batch-requests/create-batch-request; overview in
docs/ecwid/api-reference/rest-api/batch-requests.md).
`Faults.batch_pending_polls` makes the first polls answer IN_PROGRESS.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from npf_ecwid.sandbox.errors import ApiError, bad_param, not_found
from npf_ecwid.sandbox.params import bool_param
from npf_ecwid.sandbox.router import Call, dispatch, route

MAX_BATCH = 500
DEDUP_SECONDS = 3600.0
_METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})


@dataclass
class BatchRecord:
    ticket: str
    store_id: int
    responses: list[dict[str, Any]]
    polls_left: int
    created: float


def _validate(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not body:
        raise bad_param("Batch body must be a non-empty JSON array of requests")
    if len(body) > MAX_BATCH:
        raise bad_param(f"A batch holds at most {MAX_BATCH} requests, got {len(body)}")
    for n, request in enumerate(body):
        if not isinstance(request, dict) or not isinstance(request.get("path"), str):
            raise bad_param(f"Batch request #{n} needs a 'path' string")
        if request.get("method", "GET") not in _METHODS:
            raise bad_param(f"Batch request #{n} has an unsupported method")
    return body


def _run_one(call: Call, request: dict[str, Any], ticket: str) -> dict[str, Any]:
    parts = urlsplit(request["path"])
    path = "/" + parts.path.lstrip("/")
    method = request.get("method", "GET")
    if path.startswith("/batch"):
        status, payload = 400, ApiError(400, None, "Batches cannot be nested").body()
    else:
        sub = Call(
            call.sandbox,
            call.store,
            call.grant,
            method,
            path,
            dict(parse_qsl(parts.query)),
            request.get("body"),
            batch_ticket=ticket,
        )
        status, payload = dispatch(sub)
    return {
        "id": request.get("id"),
        "status": "COMPLETED" if 200 <= status < 300 else "FAILED",
        "httpStatusCode": status,
        "httpStatusLine": f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "httpBody": payload,
    }


@route("POST", "/batch", None)
def create_batch(call: Call) -> dict[str, Any]:
    requests = _validate(call.body)
    sandbox, now = call.sandbox, call.store.clock()
    key = call.query.get("deduplicationKey")
    if key:
        previous = sandbox.batch_keys.get((call.store.store_id, key))
        if previous is not None and now - sandbox.batches[previous].created < DEDUP_SECONDS:
            return {"ticket": previous}
    stop_on_failure = bool_param(call.query, "stopOnFirstFailure", True)
    bool_param(call.query, "allowParallelMode", False)  # validated; sequential is a valid schedule
    ticket = str(uuid.UUID(int=sandbox.rng.getrandbits(128), version=4))
    responses: list[dict[str, Any]] = []
    for request in requests:
        if responses and stop_on_failure and responses[-1]["status"] != "COMPLETED":
            responses.append({"id": request.get("id"), "status": "NOT_EXECUTED"})
            continue
        responses.append(_run_one(call, request, ticket))
    sandbox.batches[ticket] = BatchRecord(
        ticket, call.store.store_id, responses, sandbox.faults.batch_pending_polls, now
    )
    if key:
        sandbox.batch_keys[(call.store.store_id, key)] = ticket
    return {"ticket": ticket}


@route("GET", "/batch", None)
def get_batch(call: Call) -> dict[str, Any]:
    ticket = call.query.get("ticket")
    if not ticket:
        raise bad_param("Parameter 'ticket' is required")
    record = call.sandbox.batches.get(ticket)
    if record is None or record.store_id != call.store.store_id:
        raise not_found("BATCH_NOT_FOUND", f"Batch request {ticket} not found")
    total = len(record.responses)
    if record.polls_left > 0:
        record.polls_left -= 1
        return {
            "status": "IN_PROGRESS",
            "totalRequests": total,
            "completedRequests": total // 2,
            "responses": [],
        }
    responses = record.responses
    if bool_param(call.query, "escapedJson", False):
        responses = [_escaped(r) for r in responses]
    return {
        "status": "COMPLETED",
        "totalRequests": total,
        "completedRequests": total,
        "responses": responses,
    }


def _escaped(response: dict[str, Any]) -> dict[str, Any]:
    if "httpBody" not in response:
        return response
    escaped = {k: v for k, v in response.items() if k != "httpBody"}
    escaped["escapedHttpBody"] = json.dumps(response["httpBody"])
    return escaped
