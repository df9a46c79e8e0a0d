"""The sandbox as a FastAPI app: `create_app(sandbox)` serves every store under
`/api/v3/{storeId}/...`, in-process (`httpx.ASGITransport(app)`) or over HTTP (uvicorn).

Request path: `FaultMiddleware` logs the arrival, applies the per-token rolling-window rate
limit, latency and injected faults; `api` then authenticates (Bearer header only), parses the
JSON body and dispatches to the handlers in `endpoints_*` via `router.dispatch`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pydantic_core
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from npf_ecwid.sandbox import (  # noqa: F401 (importing registers the routes)
    endpoints_batch,
    endpoints_catalog,
    endpoints_orders,
    endpoints_storage,
)
from npf_ecwid.sandbox.control import ALL_SCOPES, Faults, Sandbox, ScriptedFault
from npf_ecwid.sandbox.errors import ApiError
from npf_ecwid.sandbox.middleware import (
    DROP_LOG_FILTER,
    ConnectionDropped,
    FaultMiddleware,
    bearer_token,
    error_response,
)
from npf_ecwid.sandbox.router import Call, dispatch

__all__ = ["ALL_SCOPES", "ConnectionDropped", "Faults", "Sandbox", "ScriptedFault", "create_app"]

_JSON_TYPES = ("application/json", "text/json")
_BODY_METHODS = frozenset({"PUT", "POST"})


class _RustJSONResponse(JSONResponse):
    """JSON rendered by pydantic-core's serialiser (already a dependency through pydantic):
    a 100-order page renders ~3x faster than with the stdlib's `json.dumps`, so paging
    benchmarks measure the client, not the sandbox."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


async def _read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type not in _JSON_TYPES:
        raise ApiError(
            415, None, "Unsupported content-type: expected application/json or text/json"
        )
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "WRONG_PARAMETER", "Request body is not valid JSON") from None


async def api(request: Request, store_id: str, path: str) -> Response:
    """Authenticate, parse, dispatch. Errors use Ecwid's `{errorMessage, errorCode}`."""
    sb: Sandbox = request.app.state.sandbox
    token = bearer_token(request.headers)
    if not token:
        message = (
            "Access tokens in query parameters are no longer accepted; send "
            "'Authorization: Bearer <token>'"
            if "token" in request.query_params
            else "Missing 'Authorization: Bearer <token>' header"
        )
        return error_response(403, "INVALID_API_TOKEN", message)
    grant = sb.grant(token)
    if grant is None:
        return error_response(403, "INVALID_API_TOKEN", "The access token is invalid or revoked")
    number = int(store_id) if store_id.isdigit() else None
    if number is None or not sb.has_store(number):
        return error_response(404, "STORE_NOT_FOUND", f"Store {store_id} not found")
    if grant.store_id != number:
        return error_response(
            403, "INVALID_API_TOKEN", "The access token does not belong to this store"
        )
    try:
        body = await _read_json(request) if request.method in _BODY_METHODS else None
    except ApiError as error:
        return JSONResponse(error.body(), error.status)
    call = Call(
        sb, sb.store(number), grant, request.method, "/" + path, dict(request.query_params), body
    )
    status, payload = dispatch(call)
    return _RustJSONResponse(payload, status)


def create_app(sandbox: Sandbox) -> FastAPI:
    """The ASGI app for `sandbox`; `app.state.sandbox` is the same object."""
    app = FastAPI(title="Ecwid sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = sandbox
    app.add_api_route(
        "/api/v3/{store_id}/{path:path}", api, methods=["GET", "PUT", "POST", "DELETE"]
    )
    app.add_middleware(FaultMiddleware, sandbox=sandbox)
    logging.getLogger("uvicorn.error").addFilter(DROP_LOG_FILTER)  # idempotent: same object
    return app
