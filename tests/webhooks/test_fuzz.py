"""Property-based: no webhook body or signature makes the endpoint answer 5xx or trigger
without a valid signature."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.service import static_cards
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.receiver import WebhookReceiver
from npf_ecwid.webhooks.signature import SIGNATURE_HEADER, sign
from npf_ecwid.webhooks.stores import static_stores

from .conftest import CLIENTS, NOW, SECRET, Clock, RecordingTrigger, event

LOOP = asyncio.new_event_loop()
TRIGGER = RecordingTrigger()
RECEIVER = WebhookReceiver(
    SECRET, static_stores(CLIENTS), Debouncer(TRIGGER, 3600), clock=Clock(NOW)
)
APP = httpx.AsyncClient(
    transport=httpx.ASGITransport(app=create_app(static_cards({}), webhooks=RECEIVER)),
    base_url="http://hooks",
)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


def post(body: bytes, signature: str | None) -> httpx.Response:
    headers = {SIGNATURE_HEADER: signature} if signature is not None else {}
    return LOOP.run_until_complete(APP.post("/webhooks/ecwid", content=body, headers=headers))


@FUZZ
@given(json_values, st.none() | st.text(max_size=60).filter(lambda s: s.isascii()))
def test_arbitrary_bodies_never_5xx_and_never_trigger(document: Any, signature: str | None) -> None:
    armed_before = len(RECEIVER.debouncer.armed)
    response = post(json.dumps(document).encode(), signature)
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "message"}
    assert len(RECEIVER.debouncer.armed) == armed_before


@FUZZ
@given(
    st.sampled_from(["eventId", "eventCreated", "storeId", "eventType", "entityId", "data"]),
    json_values,
    st.uuids(),
)
def test_signed_events_with_odd_fields_never_5xx(field: str, value: Any, uuid: Any) -> None:
    body = event(str(uuid))
    body[field] = value
    created, event_id = body.get("eventCreated"), body.get("eventId")
    signature = sign(SECRET, created, event_id) if isinstance(event_id, str) else "x"  # type: ignore[arg-type]
    response = post(json.dumps(body).encode(), signature)
    assert response.status_code < 500, response.text
