"""Fixtures: the demo rate card, Ecwid's example request and the app over ASGI."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.ratecard import DEMO_RATES, RateCard, load_rate_cards
from npf_ecwid.shipping.rates_keys import static_keys
from npf_ecwid.shipping.server import SAMPLE_KEY, sample_request
from npf_ecwid.shipping.service import static_cards

# Store 1003 (the demo card's store) holds the sample rates key; 4242 holds one but has no card.
KEYS = {1003: SAMPLE_KEY, 4242: "key-of-4242"}


@pytest.fixture(scope="session")
def demo_cards() -> dict[int, RateCard]:
    return load_rate_cards(DEMO_RATES)


@pytest.fixture
def seed() -> dict[str, Any]:
    """A fresh copy of Ecwid's documented example request, carrying store 1003's rates key
    in `merchantAppSettings` as Ecwid would (tests may change it)."""
    return copy.deepcopy(json.loads(sample_request(SAMPLE_KEY)))


@pytest.fixture
async def client(demo_cards: dict[int, RateCard]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(static_cards(demo_cards), rate_keys=static_keys(KEYS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping") as http:
        yield http
