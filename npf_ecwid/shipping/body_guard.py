"""ASGI middleware: read each request body with a size cap and a deadline, before any route.

Why here and not in the routes: Starlette's `request.body()` buffers the whole body before
the route can look at its length, so a 300 MB chunked POST cost 300 MB before its 413.
This layer
- answers 413 at once when `Content-Length` is over the path's cap (nothing read);
- otherwise reads the body chunk by chunk with a running total and stops at the cap (413),
  so a chunked body never costs more than the cap;
- answers 408 when the whole body has not arrived within `body_timeout` seconds: uvicorn has
  no body timeout, and a client trickling one byte a second would hold a connection (and a
  file descriptor) for as long as it likes;
- hands the app the body as one `http.request` message, so the routes read it as before.
Error answers carry `Connection: close`: the rest of an over-long body is never read, and
uvicorn closes the connection instead of draining it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        caps: Mapping[str, int],
        default_cap: int = 64_000,
        body_timeout: float = 5.0,
    ) -> None:
        """`caps`: body limit in bytes per exact path; other paths get `default_cap`."""
        self.app = app
        self.caps = dict(caps)
        self.default_cap = default_cap
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.caps.get(scope["path"], self.default_cap)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(send, 413, "too_large", f"the request body is over {cap} bytes")
            return
        try:
            body = await asyncio.wait_for(_read_capped(receive, cap), self.body_timeout)
        except _Disconnected:
            return  # the caller went away mid-body: nobody to answer, nothing to run
        except TimeoutError:
            log.info(
                "%s %s: body not received in %g s",
                scope["method"],
                scope["path"],
                self.body_timeout,
            )
            await _refuse(send, 408, "timeout", "the request body did not arrive in time")
            return
        if body is None:
            await _refuse(send, 413, "too_large", f"the request body is over {cap} bytes")
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect can come

        await self.app(scope, replay, send)


class _Disconnected(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser refuses these before we run
    return None


async def _read_capped(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None as soon as it passes `cap` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
