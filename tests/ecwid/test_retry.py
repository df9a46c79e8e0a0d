"""The one error policy: what is retried, what fails at once, which typed error comes out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from npf_ecwid.ecwid.errors import (
    EcwidAuthError,
    EcwidBadRequest,
    EcwidNotFound,
    EcwidRateLimited,
    EcwidServerError,
    EcwidUnavailable,
    EcwidWriteUncertain,
)
from npf_ecwid.ecwid.retry import RetryPolicy, retry_after_seconds, send_with_retries
from npf_ecwid.ecwid.stats import ClientStats

FAST = RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_max=0.01)
REQUEST = httpx.Request("PUT", "http://ecwid.test/api/v3/1003/orders/ACME-X8UYE")

Outcome = httpx.Response | Exception


def answer(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body or {}, headers=headers, request=REQUEST)


def script(*outcomes: Outcome) -> tuple[Callable[[], Awaitable[httpx.Response]], list[int]]:
    """A `send` that plays `outcomes` in order; `calls` counts attempts."""
    calls: list[int] = []

    async def send() -> httpx.Response:
        calls.append(1)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return send, calls


async def run(send, *, idempotent: bool = True, pauses: list[float] | None = None):
    stats = ClientStats()
    response = await send_with_retries(
        send,
        what="order ACME-X8UYE",
        idempotent=idempotent,
        policy=FAST,
        pause=(pauses if pauses is not None else []).append,
        stats=stats,
    )
    return response, stats


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (403, EcwidAuthError, "Ecwid rejected the token (403): Invalid token"),
        (401, EcwidAuthError, "Ecwid rejected the token (401): Invalid token"),
        (404, EcwidNotFound, "order ACME-X8UYE not found (404)"),
        (400, EcwidBadRequest, "Ecwid rejected order ACME-X8UYE (400): Invalid token"),
        (409, EcwidBadRequest, "(409)"),
        (415, EcwidBadRequest, "(415)"),
    ],
)
async def test_client_errors_fail_at_once_with_ecwids_message(status, error, message) -> None:
    send, calls = script(answer(status, {"errorMessage": "Invalid token", "errorCode": "X_CODE"}))
    with pytest.raises(error) as raised:
        await run(send)
    assert message in str(raised.value)
    assert raised.value.status == status
    assert raised.value.error_code == "X_CODE"
    assert raised.value.error_message == "Invalid token"
    assert len(calls) == 1


async def test_5xx_then_success_is_retried() -> None:
    send, calls = script(answer(500), answer(503), answer(200, {"updateCount": 1}))
    response, stats = await run(send)
    assert response.status_code == 200
    assert len(calls) == 3
    assert stats.retries == 2


async def test_5xx_storm_ends_in_server_error_after_bounded_attempts() -> None:
    send, calls = script(answer(502, {"errorMessage": "bad gateway"}))
    with pytest.raises(EcwidServerError, match=r"\(502\): bad gateway after 4 attempts"):
        await run(send)
    assert len(calls) == FAST.max_attempts


async def test_429_pauses_the_limiter_for_retry_after_then_retries() -> None:
    pauses: list[float] = []
    send, calls = script(answer(429, headers={"Retry-After": "3"}), answer(200))
    response, stats = await run(send, pauses=pauses)
    assert response.status_code == 200
    assert pauses == [3.0]
    assert (len(calls), stats.retries) == (2, 1)


async def test_429_storm_ends_in_rate_limited() -> None:
    send, calls = script(answer(429, headers={"Retry-After": "0"}))
    with pytest.raises(EcwidRateLimited, match="after 4 attempts"):
        await run(send)
    assert len(calls) == 4


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("drop")],
)
async def test_transport_failures_are_retried_then_unavailable(failure: Exception) -> None:
    send, calls = script(failure)
    with pytest.raises(EcwidUnavailable, match="after 4 attempts"):
        await run(send)
    assert len(calls) == 4


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("drop"), answer(500)]
)
async def test_non_idempotent_write_is_not_resent_when_it_may_have_landed(failure) -> None:
    send, calls = script(failure, answer(200))
    with pytest.raises(EcwidWriteUncertain, match="re-read"):
        await run(send, idempotent=False)
    assert len(calls) == 1


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), answer(429, headers={"Retry-After": "0"})]
)
async def test_non_idempotent_write_is_retried_when_it_certainly_did_not_land(failure) -> None:
    send, calls = script(failure, answer(200))
    response, _ = await run(send, idempotent=False)
    assert response.status_code == 200
    assert len(calls) == 2


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds(answer(429, headers={"Retry-After": "12"}), 5.0) == 12.0
    assert retry_after_seconds(answer(429), 5.0) == 5.0
    assert retry_after_seconds(answer(429, headers={"Retry-After": "soon"}), 5.0) == 5.0
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after_seconds(answer(429, headers={"Retry-After": past}), 5.0) == 0.0
