"""The sandbox as a FastAPI app: `create_app(sandbox)` serves every store under
`/api/v3/{storeId}/...`, in-process (`httpx.ASGITransport(app)`) or over HTTP (uvicorn).

Request path: `FaultMiddleware` logs the arrival, applies the per-token rolling-window rate
limit, latency and injected faults; `api` then authenticates (Bearer header only), parses the
JSON body and dispatches to the handlers in `endpoints_*` via `router.dispatch`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from npf_ecwid.sandbox import (  # noqa: F401 (importing registers the routes)
    endpoints_batch,
    endpoints_catalog,
    endpoints_orders,
)
from npf_ecwid.sandbox.control import ALL_SCOPES, Faults, Sandbox
from npf_ecwid.sandbox.errors import ApiError
from npf_ecwid.sandbox.router import Call, dispatch

__all__ = ["ALL_SCOPES", "ConnectionDropped", "Faults", "Sandbox", "create_app"]

_API_PATH = re.compile(r"^/api/v3/(?P<store>[^/]+)(?P<rest>/.*)?$")
_JSON_TYPES = ("application/json", "text/json")
_BODY_METHODS = frozenset({"PUT", "POST"})


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised into an in-process httpx client when the sandbox drops the connection; over
    real HTTP uvicorn closes the socket mid-response and httpx raises the same class."""


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs an app exception with a traceback; an injected drop is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_DROP_FILTER = _HideInjectedDrops()


def bearer_token(headers: Headers) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(status: int, code: str | None, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(ApiError(status, code, message).body(), status, headers=headers or None)


class FaultMiddleware:
    """Arrival log, rate limit, latency and injected faults for `/api/v3/...` requests."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _API_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        sb = self.sandbox
        token = bearer_token(Headers(scope=scope))
        store = match["store"]
        entry = sb.log_request(
            token,
            scope["method"],
            match["rest"] or "/",
            int(store) if store.isdigit() else None,
            sb.clock(),
        )
        try:
            await self._handle(scope, receive, send, token, entry)
        finally:
            if entry.status is None:  # cancelled: the client gave up or the server stopped
                entry.status = 0

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, token: str, entry: Any
    ) -> None:
        sb, faults = self.sandbox, self.sandbox.faults
        retry_after = sb.admit(token, entry.at)
        if retry_after is not None:
            entry.status = 429
            response = _error(
                429,
                "RATE_LIMITED",
                "Too many requests for this access token",
                **{"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        roll = sb.rng.random()
        if roll < faults.drop_rate:
            entry.status, entry.fault = 0, "drop"
            await _drop(send)
        roll -= faults.drop_rate
        if roll < faults.timeout_rate:
            entry.fault = "timeout"
            if await _hang(receive, faults.hang_s):
                entry.status = 0
                return
            entry.status = 504
            await _error(504, None, "Gateway timeout")(scope, receive, send)
            return
        roll -= faults.timeout_rate
        if roll < faults.fail_rate:
            status = faults.fail_status or sb.rng.choice((500, 502, 503))
            entry.status, entry.fault = status, "fail"
            await _error(status, "INTERNAL_ERROR", "Injected server error")(scope, receive, send)
            return

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, record_status)


async def _drop(send: Send) -> None:
    """Start a response, then break it off: the client sees a truncated body."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"total": ', "more_body": True})
    raise ConnectionDropped("The Ecwid sandbox dropped the connection (injected fault)")


async def _hang(receive: Receive, seconds: float) -> bool:
    """Wait up to `seconds`; True when the client disconnected first. Cancellable."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


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
        return _error(403, "INVALID_API_TOKEN", message)
    grant = sb.grant(token)
    if grant is None:
        return _error(403, "INVALID_API_TOKEN", "The access token is invalid or revoked")
    number = int(store_id) if store_id.isdigit() else None
    if number is None or not sb.has_store(number):
        return _error(404, "STORE_NOT_FOUND", f"Store {store_id} not found")
    if grant.store_id != number:
        return _error(403, "INVALID_API_TOKEN", "The access token does not belong to this store")
    try:
        body = await _read_json(request) if request.method in _BODY_METHODS else None
    except ApiError as error:
        return JSONResponse(error.body(), error.status)
    call = Call(
        sb, sb.store(number), grant, request.method, "/" + path, dict(request.query_params), body
    )
    status, payload = dispatch(call)
    return JSONResponse(payload, status)


def create_app(sandbox: Sandbox) -> FastAPI:
    """The ASGI app for `sandbox`; `app.state.sandbox` is the same object."""
    app = FastAPI(title="Ecwid sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = sandbox
    app.add_api_route(
        "/api/v3/{store_id}/{path:path}", api, methods=["GET", "PUT", "POST", "DELETE"]
    )
    app.add_middleware(FaultMiddleware, sandbox=sandbox)
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)  # idempotent: same object
    return app
