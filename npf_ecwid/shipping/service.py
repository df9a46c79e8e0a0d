"""The rates endpoint's logic, without the web framework: bytes in, (status, JSON object) out.

Kept apart from the FastAPI wiring so the demo, the tests and the benchmark call exactly what
Ecwid reaches. Guarantees: a request that is not JSON, not the documented shape, over
`MAX_CART_LINES` lines, without the store's rates key (403, the same for unknown stores), for a
store with no rate card, or with negative/absurd weights or sizes gets a 4xx with a message that
says what is wrong (never the input echoed at length, never a stack trace); a well-formed
request gets 200 with `{"shippingOptions": [...]}`, possibly empty. Blocking (a database read
for the key, CPU for the quote): the app calls it off the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from npf_ecwid.shipping.models import ShippingRequest
from npf_ecwid.shipping.quote import CartTooHeavy, quote
from npf_ecwid.shipping.ratecard import RateCard, load_rate_cards
from npf_ecwid.shipping.rates_keys import RatesKeyLookup, key_matches
from npf_ecwid.shipping.reloading import ReloadingFile
from npf_ecwid.validation_text import describe_validation

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # a 100-line cart is ~500 KB in Ecwid's verbose item format

RateCardLookup = Callable[[], Mapping[int, RateCard]]
Answer = tuple[int, dict[str, Any]]


def static_cards(cards: Mapping[int, RateCard]) -> RateCardLookup:
    return lambda: cards


def file_cards(path: Path) -> RateCardLookup:
    """Rate cards from `path`, re-read when the file changes (see `ReloadingFile`)."""
    return ReloadingFile(path, load_rate_cards).get


def error(status: int, code: str, message: str) -> Answer:
    return status, {"error": code, "message": message}


def parse_json_model(model: Any, body: bytes) -> tuple[Any, Answer | None]:
    """`model` parsed from `body`, or a 400 (not JSON) / 422 (wrong shape) answer."""
    try:
        return model.model_validate_json(body), None
    except ValidationError as exc:
        kinds = {p["type"] for p in exc.errors(include_url=False, include_input=False)}
        if "json_invalid" in kinds:
            return None, error(400, "invalid_json", "the request body is not valid JSON")
        if "model_type" in kinds and exc.error_count() == 1 and not exc.errors()[0]["loc"]:
            return None, error(422, "invalid_request", "the request body must be a JSON object")
        return None, error(422, "invalid_request", describe_validation(exc))


FORBIDDEN = (
    403,
    {
        "error": "forbidden",
        "message": "no rates for this request: the store is not set up or its rates key is wrong",
    },
)


def handle_rates(body: bytes, cards: RateCardLookup, keys: RatesKeyLookup) -> Answer:
    """Answer one shipping-rates request from Ecwid; `keys` says which stores may ask."""
    if len(body) > MAX_BODY_BYTES:
        return error(413, "too_large", f"the request body is over {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return error(400, "invalid_json", "the request body is empty; expected Ecwid's cart JSON")
    request, problem = parse_json_model(ShippingRequest, body)
    if problem is not None:
        return problem
    if not key_matches(request.store_id, request.merchant_app_settings, keys):
        log.info("store %s: rates request without its rates key, refused", request.store_id)
        return FORBIDDEN
    card = cards().get(request.store_id)
    if card is None:
        return error(404, "unknown_store", f"no rate card for store {request.store_id}")
    try:
        result = quote(request, card)
    except CartTooHeavy as problem:
        return error(422, "invalid_request", str(problem))
    if result.note:
        log.info("store %s cart %r: %r", request.store_id, str(request.cart.id)[:40], result.note)
    return 200, result.to_ecwid()
