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
from npf_ecwid.shipping.server import sample_request
from npf_ecwid.shipping.service import static_cards


@pytest.fixture(scope="session")
def demo_cards() -> dict[int, RateCard]:
    return load_rate_cards(DEMO_RATES)


@pytest.fixture
def seed() -> dict[str, Any]:
    """A fresh copy of Ecwid's documented example request (tests may change it)."""
    return copy.deepcopy(json.loads(sample_request()))


@pytest.fixture
async def client(demo_cards: dict[int, RateCard]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(static_cards(demo_cards))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping") as http:
        yield http
