"""The web app Ecwid talks to: `POST /shipping/rates` and `POST /webhooks/ecwid`.

Routes read the raw body and hand it to plain functions (`service.handle_rates`,
`WebhookReceiver.handle`), which parse it once into typed models; there are no FastAPI body
parameters, so FastAPI's own validation never answers in a different shape. Every error is
JSON `{"error": CODE, "message": TEXT}`; an unexpected exception is logged with its traceback
here and answered with a 500 that names no internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from npf_ecwid.shipping.service import Answer, RateCardLookup, error, handle_rates
from npf_ecwid.webhooks.loud import Loud
from npf_ecwid.webhooks.receiver import WebhookReceiver
from npf_ecwid.webhooks.signature import SIGNATURE_HEADER

log = logging.getLogger(__name__)

INTERNAL_ERROR = error(500, "internal_error", "internal error; it has been logged")


def json_response(answer: Answer) -> Response:
    status, payload = answer
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content=body, status_code=status, media_type="application/json")


async def _guarded(what: str, work: Callable[[], Awaitable[Answer]]) -> Response:
    try:
        return json_response(await work())
    except ClientDisconnect:  # the caller went away mid-body; nothing to answer, nothing broke
        return json_response(error(400, "client_disconnect", "the request body was not received"))
    except Exception:
        log.exception("%s failed", what)
        return json_response(INTERNAL_ERROR)


def create_app(
    rate_cards: RateCardLookup,
    *,
    webhooks: WebhookReceiver | None = None,
    loud: Loud | None = None,
) -> FastAPI:
    """The ASGI app. Without `webhooks` (no app client secret configured) the webhook route
    answers 200 `not_configured` and says so loudly (`loud`: an ERROR line and an alert, once
    an hour): a non-2xx would only make Ecwid retry and, after two weeks, block the app's
    webhooks (see `webhooks.receiver`), while the schedule keeps syncing without them."""
    loud = loud or Loud()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if webhooks is not None:
            await webhooks.debouncer.aclose()

    app = FastAPI(
        title="npf-ecwid shipping rates and webhooks",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return json_response(error(exc.status_code, "http_error", str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        return json_response(error(422, "invalid_request", "the request is not valid"))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return json_response(INTERNAL_ERROR)

    @app.post("/shipping/rates")
    async def shipping_rates(request: Request) -> Response:
        async def work() -> Answer:
            return handle_rates(await request.body(), rate_cards)

        return await _guarded("shipping rates", work)

    @app.post("/webhooks/ecwid")
    async def ecwid_webhook(request: Request) -> Response:
        async def work() -> Answer:
            if webhooks is None:
                loud.shout(
                    "not_configured",
                    "an Ecwid webhook arrived but ECWID_APP_CLIENT_SECRET is not set: it was "
                    "acknowledged unread; set the app's client secret and restart `shipping serve`",
                )
                return 200, {"status": "not_configured"}
            return webhooks.handle(await request.body(), request.headers.get(SIGNATURE_HEADER))

        return await _guarded("webhook", work)

    @app.get("/healthz")
    async def healthz() -> Response:
        return json_response((200, {"status": "ok"}))

    return app
