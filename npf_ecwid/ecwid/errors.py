"""Typed errors for Ecwid API calls.

Every error carries what Ecwid said (`status`, `error_code`, `error_message`) and a one-line
message a flow can show as is. Messages never contain the token: they are built only from
what was asked for (`order ACME-X8UYE`), the status and Ecwid's own error text, never from
the request's headers.
"""

from __future__ import annotations

import re

from npf_ecwid.alerts import redact


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


# --- Ecwid's own error text -------------------------------------------------------------------
#
# Ecwid's `errorMessage` (and a batch sub-request's body) is the one piece of an error we do
# not write ourselves. An answer that echoes the request (a gateway error page, a 400 that
# quotes a header or a customer's address) would carry the token or personal data into
# `npf_*` tables, logs and Prefect artifacts, so it is redacted and capped where it is read.

ERROR_TEXT_LIMIT = 300

# Besides the credentials `alerts.redact` blanks (Ecwid tokens, bearer values, `token=`):
_REDACTIONS = (
    # An Authorization header value, scheme and all.
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer\s+|basic\s+)?[^\s;,&]+"), r"\1***"),
    # E-mail addresses (customers') and long opaque strings (keys, hashes, session ids).
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Za-z0-9_\-]{32,}\b"), "***"),
)


def clean_error_text(text: str, *, limit: int = ERROR_TEXT_LIMIT) -> str:
    """`text` from Ecwid made safe to store and log: tokens, Authorization values, e-mail
    addresses and long opaque strings replaced, whitespace collapsed, at most `limit`
    characters (an ellipsis marks a cut)."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
