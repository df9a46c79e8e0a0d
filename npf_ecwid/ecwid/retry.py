"""The one HTTP error policy for Ecwid: which answers are retried, how long to wait, which
typed error a caller finally sees.

| outcome | idempotent request | `quantityDelta` write (not idempotent) |
|---|---|---|
| 2xx | return | return |
| 429 | pause the token's limiter for `Retry-After`, retry | same (Ecwid ignored the request) |
| 5xx | retry with jittered exponential backoff | `EcwidWriteUncertain` at once |
| 408 `TIMEOUT` (Ecwid's own timeout) | retry, like a read timeout | `EcwidWriteUncertain` at once |
| connect error / connect or pool timeout | retry | retry (nothing was sent) |
| read/write timeout, dropped connection | retry | `EcwidWriteUncertain` at once |
| 401/402/403 | `EcwidAuthError` | same |
| 404 | `EcwidNotFound` | same |
| other 4xx | `EcwidBadRequest` | same |

Retries are bounded by `RetryPolicy.max_attempts`; when they run out the caller gets
`EcwidRateLimited`, `EcwidServerError` or `EcwidUnavailable`.

408: docs/ecwid/api-reference/rest-api/rest-api-error-codes.md lists `TIMEOUT` 408 "Request
failed due to timeout": Ecwid gave up on the request after it arrived, so, as with our own read
timeout, a retry is safe for an idempotent request and may double a `quantityDelta`.

Ecwid's `errorMessage` is kept on the error redacted and capped (`errors.clean_error_text`):
some answers echo the request, and the text ends up in tables and logs.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from npf_ecwid.ecwid.errors import (
    EcwidAuthError,
    EcwidBadRequest,
    EcwidError,
    EcwidNotFound,
    EcwidRateLimited,
    EcwidServerError,
    EcwidUnavailable,
    EcwidWriteUncertain,
    clean_error_text,
)
from npf_ecwid.ecwid.stats import ClientStats

log = logging.getLogger("npf_ecwid.ecwid")

# Sent for certain? These happen before a byte of the request reaches the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Sent, answer lost: the server may have applied it.
_MAYBE_SENT = (
    httpx.TimeoutException,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    TimeoutError,  # our overall per-attempt deadline
)


TIMEOUT_STATUS = 408  # Ecwid's `TIMEOUT`: handled like a read timeout (see the table)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries; waits are `wait_random_exponential(backoff_base, backoff_max)` (full
    jitter), and a 429's `Retry-After` (capped at `max_retry_after`) pauses the whole limiter."""

    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 300.0
    default_retry_after: float = 5.0


class _Retry(Exception):
    """An attempt failed in a retryable way; `final` is what the caller sees if none succeed."""

    def __init__(self, final: EcwidError, *, rate_limited: bool = False) -> None:
        super().__init__(str(final))
        self.final = final
        self.rate_limited = rate_limited


def _ecwid_error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    message, code = body.get("errorMessage"), body.get("errorCode")
    return (
        clean_error_text(str(message)) if message else None,
        clean_error_text(str(code), limit=64) if code else None,
    )


def error_for(response: httpx.Response, what: str) -> EcwidError:
    """The typed error for a non-2xx answer (the final one, for 429/5xx)."""
    status = response.status_code
    message, code = _ecwid_error_body(response)
    detail = message or response.reason_phrase or "no message"
    kw = {"status": status, "error_code": code, "error_message": message}
    if status in (401, 403):
        return EcwidAuthError(f"Ecwid rejected the token ({status}): {detail}", **kw)
    if status == 402:
        return EcwidAuthError(f"Ecwid refused API access for this store (402): {detail}", **kw)
    if status == 404:
        return EcwidNotFound(f"{what} not found (404)", **kw)
    if status == 429:
        return EcwidRateLimited(f"Ecwid kept rate-limiting {what} (429)", **kw)
    if status == TIMEOUT_STATUS:
        return EcwidUnavailable(f"Ecwid timed out on {what} (408): {detail}", **kw)
    if status >= 500:
        return EcwidServerError(f"Ecwid server error on {what} ({status}): {detail}", **kw)
    return EcwidBadRequest(f"Ecwid rejected {what} ({status}): {detail}", **kw)


def retry_after_seconds(response: httpx.Response, default: float) -> float:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); `default` when absent/odd."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def classify(response: httpx.Response, what: str, *, idempotent: bool) -> None:
    """Return quietly for a success; raise `_Retry` or a typed error otherwise."""
    status = response.status_code
    if status < 400:
        return
    error = error_for(response, what)
    if status == 429:
        raise _Retry(error, rate_limited=True)
    if status >= 500 or status == TIMEOUT_STATUS:
        if not idempotent:
            raise EcwidWriteUncertain(
                f"{what}: Ecwid answered {status}; the change may have been applied, "
                "re-read before trying again",
                status=status,
                error_code=error.error_code,
                error_message=error.error_message,
            )
        raise _Retry(error)
    raise error


def classify_exception(error: Exception, what: str, *, idempotent: bool) -> _Retry:
    """Map a transport failure to a retry (or raise at once when a retry is unsafe/useless)."""
    kind = type(error).__name__
    if isinstance(error, _NOT_SENT):
        return _Retry(EcwidUnavailable(f"Ecwid unreachable for {what} ({kind})"))
    if isinstance(error, _MAYBE_SENT):
        if not idempotent:
            raise EcwidWriteUncertain(
                f"{what}: no answer from Ecwid ({kind}); the change may have been applied, "
                "re-read before trying again"
            ) from None
        return _Retry(EcwidUnavailable(f"Ecwid did not answer {what} ({kind})"))
    # Invalid URL, unsupported protocol, proxy misconfiguration: retrying cannot help.
    raise EcwidUnavailable(f"cannot send {what} to Ecwid ({kind})") from None


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    exponential = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_max)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retry) and error.rate_limited:
            # The limiter already holds every caller until Retry-After; only de-synchronise.
            return random.uniform(0, policy.backoff_base)
        return exponential(state)

    return wait


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    what: str,
    idempotent: bool,
    policy: RetryPolicy,
    pause: Callable[[float], None],
    stats: ClientStats,
) -> httpx.Response:
    """Run `send` (one attempt: limiter slot + HTTP call) under the policy above."""

    def before_sleep(state: RetryCallState) -> None:
        stats.retries += 1
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        log.warning("Ecwid %s: attempt %d failed (%s); retrying", what, state.attempt_number, error)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=_wait(policy),
        retry=retry_if_exception_type(_Retry),
        before_sleep=before_sleep,
    )
    try:
        async for attempt in retrying:
            with attempt:
                try:
                    response = await send()
                except (httpx.TransportError, TimeoutError) as error:
                    raise classify_exception(error, what, idempotent=idempotent) from None
                if response.status_code == 429:
                    seconds = retry_after_seconds(response, policy.default_retry_after)
                    pause(min(seconds, policy.max_retry_after))
                    if seconds > policy.max_retry_after:
                        raise error_for(response, what)
                classify(response, what, idempotent=idempotent)
                return response
    except RetryError as exhausted:
        last = exhausted.last_attempt.exception()
        assert isinstance(last, _Retry)
        final = last.final
        raise type(final)(
            f"{final} after {policy.max_attempts} attempts",
            status=final.status,
            error_code=final.error_code,
            error_message=final.error_message,
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover
