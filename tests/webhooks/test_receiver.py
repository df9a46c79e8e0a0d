"""`POST /webhooks/ecwid`: signature, freshness, duplicates, echoes, stores and debouncing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from npf_ecwid.webhooks.debounce import Debouncer

from .conftest import NOW, Clock, Hooks, RecordingTrigger, event


async def test_signed_order_event_starts_one_sync_for_its_client(
    hooks: Hooks, trigger: RecordingTrigger
) -> None:
    response = await hooks.send(event())
    assert response.status_code == 200 and response.json() == {"status": "queued"}
    assert trigger.calls == []  # off the request path: nothing ran while answering
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == ["ACME"]


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "garbage!"])
async def test_missing_or_bad_signature_is_401_and_starts_nothing(
    hooks: Hooks, trigger: RecordingTrigger, signature: str | None
) -> None:
    response = await hooks.send(event(), signature=signature)
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == []


async def test_signature_of_another_event_is_rejected(
    hooks: Hooks, trigger: RecordingTrigger
) -> None:
    from .conftest import SECRET, sign

    other = sign(SECRET, int(NOW), "ev-other")
    assert (await hooks.send(event("ev-1"), signature=other)).status_code == 401
    # the signature covers eventCreated too: moving the time breaks it
    moved = sign(SECRET, int(NOW) - 1, "ev-1")
    assert (await hooks.send(event("ev-1"), signature=moved)).status_code == 401
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == []


async def test_a_bad_signature_does_not_burn_the_event_id(
    hooks: Hooks, trigger: RecordingTrigger
) -> None:
    assert (await hooks.send(event("ev-9"), signature="forged")).status_code == 401
    assert (await hooks.send(event("ev-9"))).json() == {"status": "queued"}


@pytest.mark.parametrize(
    ("age", "status", "outcome"),
    [
        (0, 200, "queued"),
        (15 * 60, 200, "queued"),  # exactly at the window: still fresh
        (-4 * 60, 200, "queued"),  # Ecwid's clock a little ahead of ours
        (15 * 60 + 1, 200, "stale"),  # a late Ecwid retry: acknowledged, nothing started
        (23 * 3600, 200, "stale"),
        (26 * 3600, 403, None),  # beyond Ecwid's 24 h of retries: not a genuine delivery
        (-10 * 60, 403, None),  # from the future
    ],
)
async def test_freshness(
    hooks: Hooks, trigger: RecordingTrigger, age: int, status: int, outcome: str | None
) -> None:
    response = await hooks.send(event(created=NOW - age))
    assert response.status_code == status
    if outcome:
        assert response.json()["status"] == outcome
    else:
        assert response.json()["error"] == "stale"
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == (["ACME"] if outcome == "queued" else [])


async def test_duplicate_event_id_acts_once(hooks: Hooks, trigger: RecordingTrigger) -> None:
    first = await hooks.send(event("ev-dup"))
    await hooks.receiver.debouncer.flush()
    again = await hooks.send(event("ev-dup"))
    await hooks.receiver.debouncer.flush()
    assert first.json()["status"] == "queued" and again.json()["status"] == "duplicate"
    assert trigger.calls == ["ACME"]


async def test_replay_after_the_id_is_forgotten_is_stale(
    hooks: Hooks, trigger: RecordingTrigger, clock: Clock
) -> None:
    await hooks.send(event("ev-r"))
    await hooks.receiver.debouncer.flush()
    clock.now = NOW + 15 * 60 + 5  # the id may now be forgotten ...
    await hooks.send(event("ev-other", created=clock.now))  # (prunes old ids)
    replay = await hooks.send(event("ev-r"))  # ... but the replay is stale by then
    await hooks.receiver.debouncer.flush()
    assert replay.json()["status"] == "stale"
    assert trigger.calls == ["ACME", "ACME"]  # the first event, then ev-other; not the replay


async def test_a_burst_starts_one_run_per_client(hooks: Hooks, trigger: RecordingTrigger) -> None:
    for n in range(20):
        assert (await hooks.send(event(f"acme-{n}"))).json()["status"] == "queued"
    for n in range(5):
        await hooks.send(event(f"bolt-{n}", store_id=2004, event_type="order.updated"))
    assert sorted(hooks.receiver.debouncer.armed) == ["ACME", "Bolt"]
    await hooks.receiver.debouncer.flush()
    assert sorted(trigger.calls) == ["ACME", "Bolt"]
    # the next event after the run was started arms a new one
    await hooks.send(event("acme-late"))
    await hooks.receiver.debouncer.flush()
    assert sorted(trigger.calls) == ["ACME", "ACME", "Bolt"]


async def test_the_window_fires_by_itself() -> None:
    trigger = RecordingTrigger()
    debouncer = Debouncer(trigger, window=0.01)
    assert debouncer.submit("ACME") is True
    assert debouncer.submit("ACME") is False
    await debouncer.drain()
    assert trigger.calls == ["ACME"] and debouncer.armed == []


async def test_trigger_failure_is_logged_and_the_next_burst_still_triggers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trigger = RecordingTrigger(fail=True)
    debouncer = Debouncer(trigger, window=60)
    with caplog.at_level(logging.ERROR):
        debouncer.submit("ACME")
        await debouncer.flush()
        debouncer.submit("ACME")
        await debouncer.flush()
    assert trigger.calls == ["ACME", "ACME"]
    assert "could not trigger the order sync for ACME" in caplog.text


async def test_unknown_store_is_acknowledged_and_ignored(
    hooks: Hooks, trigger: RecordingTrigger
) -> None:
    response = await hooks.send(event(store_id=999))
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "reason": "unknown store"}
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == []


@pytest.mark.parametrize(
    ("event_type", "data", "outcome"),
    [
        ("order.created", {"newPaymentStatus": "AWAITING_PAYMENT"}, "queued"),
        (
            "order.updated",
            {"oldPaymentStatus": "AWAITING_PAYMENT", "newPaymentStatus": "PAID"},
            "queued",
        ),
        (
            "order.updated",
            {
                "oldPaymentStatus": "PAID",
                "newPaymentStatus": "PAID",
                "oldFulfillmentStatus": "AWAITING_PROCESSING",
                "newFulfillmentStatus": "PROCESSING",
            },
            "queued",
        ),
        # our own tracking push: SHIPPED, payment untouched -> echo
        (
            "order.updated",
            {
                "oldPaymentStatus": "PAID",
                "newPaymentStatus": "PAID",
                "oldFulfillmentStatus": "PROCESSING",
                "newFulfillmentStatus": "SHIPPED",
            },
            "ignored",
        ),
        # a refund on a shipped order still syncs (the payment moved)
        (
            "order.updated",
            {
                "oldPaymentStatus": "PAID",
                "newPaymentStatus": "REFUNDED",
                "oldFulfillmentStatus": "SHIPPED",
                "newFulfillmentStatus": "SHIPPED",
            },
            "queued",
        ),
        ("order.updated", {}, "queued"),
        # a nudge: the next pull reads the deleted-orders history and cancels it
        ("order.deleted", {"orderId": "X"}, "queued"),
        ("unfinished_order.created", {}, "ignored"),
        ("product.updated", {}, "ignored"),
        ("application.uninstalled", {}, "ignored"),
    ],
)
async def test_which_events_start_a_sync(
    hooks: Hooks, trigger: RecordingTrigger, event_type: str, data: dict, outcome: str
) -> None:
    response = await hooks.send(event(event_type=event_type, data=data))
    assert response.status_code == 200 and response.json()["status"] == outcome
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == (["ACME"] if outcome == "queued" else [])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[]", 422),
        (b'{"eventId": "x"}', 422),
        (b'{"eventId": "", "eventCreated": 1, "storeId": 1003, "eventType": "order.created"}', 422),
        (b"{" + b" " * 70_000 + b"}", 413),
    ],
)
async def test_malformed_deliveries_are_4xx(hooks: Hooks, body: bytes, status: int) -> None:
    response = await hooks.send(body, signature="x")
    assert response.status_code == status
    assert set(response.json()) == {"error", "message"}


async def test_outcomes_are_counted(hooks: Hooks) -> None:
    await hooks.send(event("a"))
    await hooks.send(event("a"))
    await hooks.send(event("b"), signature="bad")
    assert hooks.receiver.outcomes == {"queued": 1, "duplicate": 1, "bad_signature": 1}


async def test_debouncer_cancels_cleanly(trigger: RecordingTrigger) -> None:
    debouncer = Debouncer(trigger, window=60)
    debouncer.submit("ACME")
    await debouncer.aclose()
    await asyncio.sleep(0)
    assert trigger.calls == [] and debouncer.armed == []
