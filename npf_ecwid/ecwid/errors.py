"""Typed errors for Ecwid API calls.

Every error carries what Ecwid said (`status`, `error_code`, `error_message`) and a one-line
message a flow can show as is. Messages never contain the token: they are built only from
what was asked for (`order ACME-X8UYE`), the status and Ecwid's own error text, never from
the request's headers.
"""

from __future__ import annotations


class EcwidError(Exception):
    """Base of every Ecwid API error."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.error_message = error_message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, status={self.status})"


class EcwidAuthError(EcwidError):
    """401/402/403: the token is wrong, lacks a scope, or the store's plan has no API access."""


class EcwidNotFound(EcwidError):
    """404: the store, order, product or variation does not exist."""


class EcwidBadRequest(EcwidError):
    """400/409/415/422 and other 4xx: Ecwid refused the request itself; retrying won't help."""


class EcwidRateLimited(EcwidError):
    """429 on every attempt (the limiter normally prevents this)."""


class EcwidServerError(EcwidError):
    """5xx on every attempt."""


class EcwidUnavailable(EcwidError):
    """Timeouts or connection errors on every attempt."""


class EcwidBadResponse(EcwidError):
    """A 2xx answer whose body is not the JSON shape we expect."""


class EcwidWriteUncertain(EcwidError):
    """A non-idempotent write (an inventory `quantityDelta`) may or may not have been applied.

    Raised at once, without a retry, when the request was sent but no clear answer came back
    (read timeout, dropped connection, 5xx). Re-sending could apply the delta twice, so the
    caller must re-read the current quantity and decide afresh.
    """
