"""Building the app from settings, and the sample quote the demo prints.

Rate cards: `rates.toml` beside the clients file (`NPF_CLIENTS`), or an explicit path; when
neither exists the packaged demo card (store 1003, the sandbox store) is used, with a warning,
so `npf-ecwid shipping serve` works out of the box. Stores without a card get a 404, so the
demo card can never price a real client's checkout.

Rates keys (who may ask, see `rates_keys`) are read from the database (`DATABASE_URL`), where
`clients add` and `clients rates-key` record them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import FastAPI

from npf_ecwid.alerts import text_sink
from npf_ecwid.breaker.guard import open_breaker
from npf_ecwid.db import get_engine
from npf_ecwid.settings import Settings, get_settings
from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.ratecard import DEMO_RATES, rates_path_for
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, RatesKeyLookup, db_keys, static_keys
from npf_ecwid.shipping.service import file_cards, handle_rates
from npf_ecwid.webhooks.debounce import Debouncer, OrderSyncTrigger
from npf_ecwid.webhooks.loud import Loud
from npf_ecwid.webhooks.receiver import WebhookReceiver
from npf_ecwid.webhooks.stores import file_stores

log = logging.getLogger(__name__)

SAMPLE_REQUEST = Path(__file__).with_name("sample_request.json")


def resolve_rates_path(settings: Settings, rates_path: Path | None = None) -> Path:
    """The explicit path, else `rates.toml` beside the clients file, else the demo card."""
    if rates_path is not None:
        return rates_path
    beside = rates_path_for(settings.clients_file)
    if beside.exists():
        return beside
    log.warning("no %s; using the demo rate card (store 1003 only)", beside)
    return DEMO_RATES


def build_app(
    settings: Settings | None = None,
    *,
    rates_path: Path | None = None,
    trigger: OrderSyncTrigger | None = None,
    debounce_seconds: float = 2.0,
    max_event_age: float = 15 * 60,
    rate_keys: RatesKeyLookup | None = None,
) -> FastAPI:
    """The served app. Webhooks are on when the app client secret is set and a trigger is
    given; they then need the clients file (a missing one raises `ConfigError`). Rates keys
    come from the database unless `rate_keys` is given."""
    settings = settings or get_settings()
    cards = file_cards(resolve_rates_path(settings, rates_path))
    if rate_keys is None:
        engine = get_engine(settings.effective_database_url)
        rate_keys = db_keys(engine)
    receiver = None
    loud = Loud(text_sink(settings.alert_webhook_url, "webhooks"))
    secret = settings.ecwid_app_client_secret
    if secret is None or not secret.get_secret_value():
        log.warning("ECWID_APP_CLIENT_SECRET is not set: /webhooks/ecwid acknowledges, unread")
    elif trigger is None:
        log.warning("no order-sync trigger given: /webhooks/ecwid acknowledges, unread")
    else:
        receiver = WebhookReceiver(
            secret,
            file_stores(settings.clients_file),
            Debouncer(trigger, window=debounce_seconds),
            breaker=lambda: open_breaker(settings),
            loud=loud,
            max_age=max_event_age,
        )
    return create_app(cards, rate_keys=rate_keys, webhooks=receiver, loud=loud)


SAMPLE_KEY = "sample-rates-key"


def sample_request(rates_key: str | None = None) -> bytes:
    """Ecwid's documented example request (a US address, 120 kg, store 1003); with
    `rates_key`, carrying it in `merchantAppSettings` as Ecwid would for a keyed store."""
    if rates_key is None:
        return SAMPLE_REQUEST.read_bytes()
    document = json.loads(SAMPLE_REQUEST.read_bytes())
    document["merchantAppSettings"] = {STORAGE_KEY: rates_key}
    return json.dumps(document).encode()


def sample_quote(rates_path: Path | None = None) -> str:
    """A printable quote for Ecwid's example request, answered exactly as the endpoint would
    for store 1003 holding the sample rates key."""
    status, answer = handle_rates(
        sample_request(SAMPLE_KEY),
        file_cards(rates_path or DEMO_RATES),
        static_keys({1003: SAMPLE_KEY}),
    )
    cart = json.loads(sample_request())["cart"]
    address = cart["shippingAddress"]
    lines = [
        f"Sample quote: store 1003, {cart['weight']} {cart['weightUnit']} to "
        f"{address['city']}, {address['stateOrProvinceCode']} {address['postalCode']} "
        f"{address['countryCode']} ({cart['currency']}) -> HTTP {status}"
    ]
    for option in answer.get("shippingOptions", []):
        lines.append(
            f"  {option['title']:<26} {option['rate']:>10.2f}  {option['transitDays']:>5} days  "
            f"{option['fulfilmentType']}"
        )
    lines.append(json.dumps(answer, indent=2))
    return "\n".join(lines)
