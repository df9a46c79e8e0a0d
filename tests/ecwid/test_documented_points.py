"""Smaller documented Ecwid behaviours, client against sandbox: 408 `TIMEOUT`, error text that
echoes the request, pages cut short in the middle, batch re-POSTs with the same
`deduplicationKey`."""

from __future__ import annotations

import logging

import pytest

from npf_ecwid.ecwid.batch import BatchRequest
from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.ecwid.errors import (
    ERROR_TEXT_LIMIT,
    EcwidBadRequest,
    EcwidWriteUncertain,
    clean_error_text,
)
from npf_ecwid.ecwid.paging import SHORT_PAGE_READS, EcwidShortPage
from npf_ecwid.sandbox.app import Sandbox, ScriptedFault
from npf_ecwid.sandbox.store import SandboxStore
from tests.ecwid.conftest import Wire


def visible_ids(store: SandboxStore) -> list[str]:
    return sorted(o["id"] for o in store.orders() if o["paymentStatus"] != "INCOMPLETE")


# --- 408 ------------------------------------------------------------------------------------


async def test_408_is_retried_like_a_timeout(ecwid: EcwidClient, sandbox: Sandbox) -> None:
    sandbox.faults.scripted.append(
        ScriptedFault("status", "GET", "/profile", status=408, error_code="TIMEOUT")
    )
    profile = await ecwid.get_profile()
    assert profile.general_info.store_id == 1003
    assert sandbox.count(status=408) == 1
    assert ecwid.stats.retries == 1 and ecwid.stats.requests == 2


async def test_408_on_a_delta_is_uncertain_and_not_resent(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    product = store.products()[-1]
    sandbox.faults.scripted.append(
        ScriptedFault("status", "PUT", f"/products/{product['id']}/inventory", status=408)
    )
    with pytest.raises(EcwidWriteUncertain, match=r"answered 408"):
        await ecwid.adjust_product_inventory(product["id"], -1)
    assert ecwid.stats.requests == 1


# --- Ecwid's error text ---------------------------------------------------------------------


async def test_error_text_echoing_the_request_is_redacted_and_capped(
    ecwid: EcwidClient, wire: Wire, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    secret = wire.token.get_secret_value()
    echo = (
        "Bad request. Headers: Authorization: {auth}; Accept: application/json. "
        "Customer jane.doe+shop@example.com, key 9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc. "
        + "Details "
        * 80
    )
    sandbox.faults.scripted.append(
        ScriptedFault("status", "GET", "/orders/ACME-ECHO1", status=400, message=echo)
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EcwidBadRequest) as raised:
        await ecwid.get_order("ACME-ECHO1")
    error = raised.value
    texts = [str(error), repr(error), error.error_message or ""]
    texts += [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if secret in t or "jane.doe" in t or "9f8e7d6c5b4a" in t]
    assert error.error_message is not None
    assert error.error_message.startswith("Bad request. Headers: Authorization: ***; Accept")
    assert len(error.error_message) == ERROR_TEXT_LIMIT and error.error_message.endswith("…")


def test_clean_error_text_keeps_plain_messages() -> None:
    assert clean_error_text("Order #ACME-X8UYE not found") == "Order #ACME-X8UYE not found"
    assert clean_error_text("token=secret_abc123&x=1") == "token=***&x=1"
    assert clean_error_text("Bearer public_XyZ for jo@example.com.au") == "Bearer *** for [email]"


# --- paging ---------------------------------------------------------------------------------


async def test_a_page_cut_short_in_the_middle_is_read_again(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    """Without the re-read, the 95-item first page would pass as the last one's neighbour and
    the orders after it (up to the next page's start) would be missing."""
    sandbox.faults.scripted.append(ScriptedFault("short_page", "GET", "/orders", short_by=5))
    found = await ecwid.search_orders(OrderQuery())
    assert sorted(o.id for o in found) == visible_ids(store)
    assert [e.fault for e in sandbox.request_log].count("scripted short_page") == 1


async def test_reading_one_page_rereads_a_short_page_too(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    sandbox.faults.scripted.append(ScriptedFault("short_page", "GET", "/orders", short_by=5))
    page = await ecwid.get_orders_page(OrderQuery())
    ids = {o.id for o in page.items}
    assert page.count == len(ids) == 100 and ids <= set(visible_ids(store))
    assert sandbox.count(method="GET", path_prefix="/orders") == 2  # the page + 1 re-read


async def test_a_page_that_stays_short_fails_loudly(ecwid: EcwidClient, sandbox: Sandbox) -> None:
    sandbox.faults.scripted.append(
        ScriptedFault("short_page", "GET", "/orders", short_by=5, times=SHORT_PAGE_READS)
    )
    with pytest.raises(EcwidShortPage, match=r"offset 0 stayed short \(95 of 100 items"):
        await ecwid.search_orders(OrderQuery())


# --- batch ----------------------------------------------------------------------------------


async def test_a_lost_batch_answer_is_reposted_with_the_same_key_and_runs_once(
    ecwid: EcwidClient, store: SandboxStore, sandbox: Sandbox
) -> None:
    products = [p for p in store.products() if "quantity" in p and not p["combinations"]][:5]
    before = {p["id"]: p["quantity"] for p in products}
    sandbox.faults.scripted.append(ScriptedFault("drop_after", "POST", "/batch"))
    requests = [
        BatchRequest(
            id=str(p["id"]), path=f"/products/{p['id']}/inventory", body={"quantityDelta": -2}
        )
        for p in products
    ]
    answers = await ecwid.run_batch(requests, poll_interval=0.01)
    assert [a.ok for a in answers] == [True] * 5
    assert sandbox.count(method="POST", path_prefix="/batch") == 2  # lost, then re-POSTed
    assert len(sandbox.batches) == 1  # the re-POST got the first ticket: one execution
    writes = [w.path for w in store.write_log if w.batch_ticket]
    assert sorted(writes) == sorted(f"/products/{p['id']}/inventory" for p in products)
    after = {p["id"]: p["quantity"] for p in store.products() if p["id"] in before}
    assert after == {pid: quantity - 2 for pid, quantity in before.items()}
