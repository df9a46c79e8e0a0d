"""`POST /webhooks/ecwid`: each row of the answer table in `npf_ecwid.webhooks.receiver`, plus
echo filtering and debouncing."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import SecretStr

from npf_ecwid.breaker.guard import TokenBreaker
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.events import UNINSTALLED

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
async def test_bad_signature_with_no_proven_secret_is_200_loud_and_starts_nothing(
    hooks: Hooks, trigger: RecordingTrigger, alerts: list[str], signature: str | None
) -> None:
    # Our secret may be the wrong one: a 401 to Ecwid would get the app's webhooks blocked
    # after two weeks and recover nothing (the schedule syncs anyway). Acknowledge, shout once.
    for n in range(3):
        response = await hooks.send(event(f"ev-{n}"), signature=signature)
        assert response.status_code == 200
        assert response.json() == {"status": "rejected", "reason": "bad signature"}
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == []
    assert len(alerts) == 1 and "ECWID_APP_CLIENT_SECRET" in alerts[0]


async def test_bad_signature_once_the_secret_is_proven_is_401(
    hooks: Hooks, trigger: RecordingTrigger, alerts: list[str]
) -> None:
    from .conftest import SECRET, sign

    assert (await hooks.send(event("ev-good"))).json() == {"status": "queued"}
    other = sign(SECRET, int(NOW), "ev-other")
    response = await hooks.send(event("ev-1"), signature=other)
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    # the signature covers eventCreated too: moving the time breaks it
    moved = sign(SECRET, int(NOW) - 1, "ev-1")
    assert (await hooks.send(event("ev-1"), signature=moved)).status_code == 401
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == ["ACME"]  # the genuine event only
    assert alerts == []  # a forgery is not our misconfiguration


async def test_the_secret_counts_as_proven_for_48_hours(hooks: Hooks, clock: Clock) -> None:
    await hooks.send(event("ev-good"))
    clock.now = NOW + 47 * 3600
    assert (await hooks.send(event("ev-x"), signature="forged")).status_code == 401
    clock.now = NOW + 49 * 3600
    assert (await hooks.send(event("ev-y"), signature="forged")).status_code == 200


async def test_a_bad_signature_does_not_burn_the_event_id(
    hooks: Hooks, trigger: RecordingTrigger
) -> None:
    assert (await hooks.send(event("ev-9"), signature="forged")).json()["status"] == "rejected"
    assert (await hooks.send(event("ev-9"))).json() == {"status": "queued"}


@pytest.mark.parametrize(
    ("age", "outcome"),
    [
        (0, "queued"),
        (15 * 60, "queued"),  # exactly at the window: still fresh
        (-4 * 60, "queued"),  # Ecwid's clock a little ahead of ours
        (15 * 60 + 1, "stale"),  # a late Ecwid retry: acknowledged, nothing started
        (23 * 3600, "stale"),
        (47 * 3600, "stale"),  # still a possible genuine retry: accepted
        (49 * 3600, "stale"),  # beyond any retry: acknowledged, nothing done
        (-10 * 60, "stale"),  # from the future: signed, so a non-2xx would only be retried
    ],
)
async def test_freshness_every_signed_event_is_2xx(
    hooks: Hooks, trigger: RecordingTrigger, age: int, outcome: str
) -> None:
    response = await hooks.send(event(created=NOW - age))
    assert response.status_code == 200
    assert response.json()["status"] == outcome
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == (["ACME"] if outcome == "queued" else [])


async def test_an_uninstall_retried_after_40_hours_still_trips_the_breaker(
    hooks: Hooks, breaker: TokenBreaker
) -> None:
    response = await hooks.send(event("ev-u", created=NOW - 40 * 3600, event_type=UNINSTALLED))
    assert response.json() == {"status": "token_refused"}
    state = breaker.state("ACME")
    assert state is not None and state.refused


async def test_uninstall_trips_the_clients_breaker_once_with_one_alert(
    hooks: Hooks, trigger: RecordingTrigger, breaker: TokenBreaker, alerts: list[str]
) -> None:
    first = await hooks.send(event("ev-u1", event_type=UNINSTALLED, data={}))
    again = await hooks.send(event("ev-u2", event_type=UNINSTALLED, data={}))  # Ecwid resends
    assert first.status_code == again.status_code == 200
    assert first.json() == {"status": "token_refused"}
    state = breaker.state("ACME")
    assert state is not None and state.refused
    assert "uninstalled" in (state.reason or "")
    assert breaker.gate("ACME", SecretStr("any-token")) is not None  # no token works now
    assert breaker.state("Bolt") is None  # another store's client is untouched
    assert len(alerts) == 1 and "ACME" in alerts[0] and "clients check ACME" in alerts[0]
    await hooks.receiver.debouncer.flush()
    assert trigger.calls == []


@pytest.mark.parametrize(
    ("data", "trips"),
    [({"newStatus": "SUSPENDED"}, True), ({"newStatus": "ACTIVE"}, False), ({}, False)],
)
async def test_a_suspended_subscription_trips_the_breaker(
    hooks: Hooks, breaker: TokenBreaker, data: dict, trips: bool
) -> None:
    response = await hooks.send(
        event(event_type="application.subscriptionStatusChanged", data=data)
    )
    assert response.status_code == 200
    assert response.json()["status"] == ("token_refused" if trips else "ignored")
    state = breaker.state("ACME")
    assert (state is not None and state.refused) is trips


async def test_duplicate_event_id_acts_once(hooks: Hooks, trigger: RecordingTrigger) -> None:
    first = await hooks.send(event("ev-dup"))
    await hooks.receiver.debouncer.flush()
    again = await hooks.send(event("ev-dup"))
    await hooks.receiver.debouncer.flush()
    assert first.json()["status"] == "queued" and again.json()["status"] == "duplicate"
    assert trigger.calls == ["ACME"]


async def test_a_retry_within_48_hours_is_a_duplicate_and_after_it_stale(
    hooks: Hooks, trigger: RecordingTrigger, clock: Clock
) -> None:
    await hooks.send(event("ev-r"))
    await hooks.receiver.debouncer.flush()
    clock.now = NOW + 24 * 3600  # Ecwid's last retry
    assert (await hooks.send(event("ev-r"))).json()["status"] == "duplicate"
    clock.now = NOW + 48 * 3600 + 5  # the id may now be forgotten ...
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


async def test_unknown_store_is_acknowledged_ignored_and_alerted_once_per_store(
    hooks: Hooks, trigger: RecordingTrigger, alerts: list[str], clock: Clock
) -> None:
    for n in range(3):
        response = await hooks.send(event(f"u-{n}", store_id=999))
        assert response.status_code == 200
        assert response.json() == {"status": "ignored", "reason": "unknown store"}
    await hooks.send(event("u-other", store_id=998))
    assert len(alerts) == 2 and "store 999" in alerts[0] and "store 998" in alerts[1]
    clock.now = NOW + 3601  # a reminder an hour later, with the count of the quiet ones
    await hooks.send(event("u-late", store_id=999, created=clock.now))
    assert len(alerts) == 3 and "2 more" in alerts[2]
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
        ("application.installed", {}, "ignored"),
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
    await hooks.send(event("z"), signature="bad")
    await hooks.send(event("a"))
    await hooks.send(event("a"))
    await hooks.send(event("b"), signature="bad")
    assert hooks.receiver.outcomes == {
        "rejected": 1,
        "queued": 1,
        "duplicate": 1,
        "bad_signature": 1,
    }


async def test_debouncer_cancels_cleanly(trigger: RecordingTrigger) -> None:
    debouncer = Debouncer(trigger, window=60)
    debouncer.submit("ACME")
    await debouncer.aclose()
    await asyncio.sleep(0)
    assert trigger.calls == [] and debouncer.armed == []


async def test_a_declined_trigger_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Waiting:
        def trigger(self, client_code: str) -> bool:
            return False  # a run is already waiting to start

    debouncer = Debouncer(Waiting(), window=60)
    with caplog.at_level(logging.INFO):
        debouncer.submit("ACME")
        await debouncer.flush()
    assert (debouncer.started, debouncer.declined) == (0, 1)
    assert "order sync for ACME already waiting to start; none added" in caplog.text
