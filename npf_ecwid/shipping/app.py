"""The web app Ecwid talks to: `POST /shipping/rates` and `POST /webhooks/ecwid`.

Routes read the raw body and hand it to plain functions (`service.handle_rates`,
`WebhookReceiver.handle`), which parse it once into typed models; there are no FastAPI body
parameters, so FastAPI's own validation never answers in a different shape. Every error is
JSON `{"error": CODE, "message": TEXT}`; an unexpected exception is logged with its traceback
here and answered with a 500 that names no internals.

Bodies are read by `BodyGuard` (size cap per path, deadline) before any route runs. Quotes run
in the thread pool (`anyio.to_thread`): a large cart or a slow key lookup never holds up a
webhook answer or `/healthz` on the event loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from npf_ecwid.http_answers import Answer, error
from npf_ecwid.shipping.body_guard import BodyGuard
from npf_ecwid.shipping.rates_keys import RatesKeyLookup, no_keys
from npf_ecwid.shipping.service import MAX_BODY_BYTES, RateCardLookup, handle_rates
from npf_ecwid.webhooks.loud import Loud
from npf_ecwid.webhooks.receiver import MAX_BODY_BYTES as MAX_WEBHOOK_BYTES
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


RATES_PATH = "/shipping/rates"
WEBHOOK_PATH = "/webhooks/ecwid"


def create_app(
    rate_cards: RateCardLookup,
    *,
    rate_keys: RatesKeyLookup = no_keys,
    webhooks: WebhookReceiver | None = None,
    loud: Loud | None = None,
    body_timeout: float = 5.0,
) -> FastAPI:
    """The ASGI app. `rate_keys` says which stores may ask for rates (others get 403; by
    default no store may). Without `webhooks` (no app client secret configured) the webhook
    route answers 200 `not_configured` and says so loudly (`loud`: an ERROR line and an alert,
    once an hour): a non-2xx would only make Ecwid retry and, after two weeks, block the app's
    webhooks (see `webhooks.receiver`), while the schedule keeps syncing without them. A body
    not received within `body_timeout` seconds gets 408."""
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

    app.add_middleware(
        BodyGuard,
        caps={RATES_PATH: MAX_BODY_BYTES, WEBHOOK_PATH: MAX_WEBHOOK_BYTES},
        default_cap=MAX_WEBHOOK_BYTES,
        body_timeout=body_timeout,
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

    @app.post(RATES_PATH)
    async def shipping_rates(request: Request) -> Response:
        async def work() -> Answer:
            body = await request.body()
            return await anyio.to_thread.run_sync(handle_rates, body, rate_cards, rate_keys)

        return await _guarded("shipping rates", work)

    @app.post(WEBHOOK_PATH)
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
