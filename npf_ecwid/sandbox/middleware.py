"""`FaultMiddleware`: what happens to an `/api/v3/...` request before the API sees it.

In order: log the arrival; answer 429 if the caller's IP is blocked for sending non-working
tokens (`Sandbox.ip_block`, Ecwid's documented IP block); maybe answer an injected 429 burst
(`throttle_rate`, no slot used); take a slot in the token's rolling window or answer 429 +
`Retry-After`; add latency (and maybe a spike); then maybe drop the connection, hang, answer
5xx, or run the request and lose its response (`drop_after_rate`: the write IS applied, the
client cannot know). A `ScriptedFault` matching the request comes before the random faults.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from npf_ecwid.sandbox.control import RequestLogEntry, Sandbox, ScriptedFault
from npf_ecwid.sandbox.errors import ApiError

API_PATH = re.compile(r"^/api/v3/(?P<store>[^/]+)(?P<rest>/.*)?$")


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised into an in-process httpx client when the sandbox drops the connection; over
    real HTTP uvicorn closes the socket mid-response and httpx raises its parent class."""


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs an app exception with a traceback; an injected drop is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


DROP_LOG_FILTER = _HideInjectedDrops()


def bearer_token(headers: Headers) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def error_response(status: int, code: str | None, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(ApiError(status, code, message).body(), status, headers=headers or None)


def _too_many(retry_after: int) -> JSONResponse:
    return error_response(
        429,
        "RATE_LIMITED",
        "Too many requests for this access token",
        **{"Retry-After": str(retry_after)},
    )


class FaultMiddleware:
    """Arrival log, rate limit, latency and injected faults for `/api/v3/...` requests."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = API_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
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
        self, scope: Scope, receive: Receive, send: Send, token: str, entry: RequestLogEntry
    ) -> None:
        sb, faults, rnd = self.sandbox, self.sandbox.faults, self.sandbox.rng.random
        client = scope.get("client")
        blocked = sb.ip_block(client[0] if client else "", token, entry.at)
        if blocked is not None:
            entry.status, entry.fault = 429, "ip_blocked"
            await _too_many(blocked)(scope, receive, send)
            return
        if faults.throttle_rate and rnd() < faults.throttle_rate:
            entry.status, entry.fault = 429, "throttle"
            await _too_many(faults.throttle_retry_after)(scope, receive, send)
            return
        retry_after = sb.admit(token, entry.at)
        if retry_after is not None:
            entry.status = 429
            await _too_many(retry_after)(scope, receive, send)
            return
        delay = faults.latency_ms
        if faults.spike_rate and rnd() < faults.spike_rate:
            delay += faults.spike_ms
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        scripted = faults.take_scripted(scope["method"], entry.path)
        if scripted is not None:
            entry.fault = f"scripted {scripted.fault}"
            await self._scripted(scope, receive, send, entry, scripted)
            return
        roll = rnd()
        for name, rate in (
            ("drop", faults.drop_rate),
            ("timeout", faults.timeout_rate),
            ("fail", faults.fail_rate),
            ("drop_after", faults.drop_after_rate),
        ):
            if roll < rate:
                entry.fault = name
                await getattr(self, f"_{name}")(scope, receive, send, entry)
                return
            roll -= rate

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, record_status)

    async def _scripted(
        self, scope: Scope, receive: Receive, send: Send, entry: Any, scripted: ScriptedFault
    ) -> None:
        if scripted.fault == "drop_after":
            await self._drop_after(scope, receive, send, entry)
        elif scripted.fault == "status":
            auth = Headers(scope=scope).get("authorization", "")
            message = scripted.message.replace("{auth}", auth)
            entry.status = scripted.status
            await error_response(scripted.status, scripted.error_code, message)(
                scope, receive, send
            )
        elif scripted.fault == "short_page":
            await self._short_page(scope, receive, send, entry, scripted.short_by)
        else:
            raise ValueError(f"unknown scripted fault {scripted.fault!r}")

    async def _short_page(
        self, scope: Scope, receive: Receive, send: Send, entry: Any, short_by: int
    ) -> None:
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        page = json.loads(body)
        if start["status"] == 200 and isinstance(page, dict) and "items" in page:
            cut = max(0, len(page["items"]) - short_by)
            page["items"] = page["items"][:cut]
            page["count"] = len(page["items"])
            body = json.dumps(page).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        entry.status = start["status"]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _drop(self, scope: Scope, receive: Receive, send: Send, entry: Any) -> None:
        entry.status = 0
        await _break_off(send)

    async def _timeout(self, scope: Scope, receive: Receive, send: Send, entry: Any) -> None:
        if await _hang(receive, self.sandbox.faults.hang_s):
            entry.status = 0
            return
        entry.status = 504
        await error_response(504, None, "Gateway timeout")(scope, receive, send)

    async def _fail(self, scope: Scope, receive: Receive, send: Send, entry: Any) -> None:
        status = self.sandbox.faults.fail_status or self.sandbox.rng.choice((500, 502, 503))
        entry.status = status
        await error_response(status, "INTERNAL_ERROR", "Injected server error")(
            scope, receive, send
        )

    async def _drop_after(self, scope: Scope, receive: Receive, send: Send, entry: Any) -> None:
        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)  # the request takes effect...
        entry.status = 0
        await _break_off(send)  # ...but its answer never arrives


async def _break_off(send: Send) -> None:
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
