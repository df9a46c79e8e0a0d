"""Failure alerts: one line naming the flow, the client and the cause, never a token.

Plain Python (no Prefect): `runtime/alerts.py` adapts a Prefect `on_failure` hook to this.
The webhook POST is best effort: an alert that cannot be delivered is logged, never raised,
so alerting can't turn one failure into two.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr

log = logging.getLogger(__name__)

# Anything shaped like a credential is blanked before it reaches a log line or a webhook:
# Ecwid tokens (`secret_...`, `public_...`), bearer headers and `token=`/`client_secret=` params.
_CREDENTIALS = re.compile(
    r"(secret_|public_)[A-Za-z0-9_-]+|(Bearer\s+)\S+|((?:token|client_secret|code)=)[^&\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every credential-shaped substring replaced by `***`."""

    def _blank(match: re.Match[str]) -> str:
        keep = match.group(2) or match.group(3) or ""
        return f"{keep}***"

    return _CREDENTIALS.sub(_blank, text)


class FailureAlert(BaseModel):
    """What an operator needs to act: which flow, which client, why, where to look."""

    flow: str
    client: str | None
    flow_run: str
    cause: str
    ui_url: str | None = None

    @property
    def text(self) -> str:
        who = f"client {self.client}" if self.client else "no client"
        where = f" ({self.ui_url})" if self.ui_url else ""
        return f"{self.flow} failed for {who}, run {self.flow_run}: {self.cause}{where}"


def describe_cause(error: BaseException | None, message: str | None = None) -> str:
    """`ExceptionType: message` (redacted, one line, at most 500 chars)."""
    if error is not None:
        detail = str(error).strip() or (message or "")
        cause = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    else:
        cause = message or "unknown cause"
    one_line = " ".join(redact(cause).split())
    return one_line[:500]


def post_alert(
    url: str,
    alert: FailureAlert,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 10.0,
) -> bool:
    """POST the alert as JSON (`text` plus the fields, Slack-compatible). True if accepted."""
    return _post(url, {"text": alert.text, **alert.model_dump()}, transport, timeout)


def post_text(url: str, text: str, *, source: str, client: str | None = None) -> bool:
    """POST an alert that is not a failed run (the webhook endpoint, the token breaker):
    `{"text", "source", "client"}`, the text redacted like every alert."""
    line = " ".join(redact(text).split())[:1000]
    return _post(url, {"text": line, "source": source, "client": client}, None, 10.0)


def text_sink(url: SecretStr | None, source: str) -> Callable[[str], None] | None:
    """`post_text` bound to `url` (NPF_ALERT_WEBHOOK_URL, a secret) and `source`, or None
    without a URL."""
    if url is None or not url.get_secret_value():
        return None
    target = url.get_secret_value()

    def send(text: str) -> None:
        post_text(target, text, source=source)

    return send


def _post(
    url: str, payload: dict[str, Any], transport: httpx.BaseTransport | None, timeout: float
) -> bool:
    try:
        with httpx.Client(transport=transport, timeout=timeout) as http:
            response = http.post(url, json=payload)
    except httpx.HTTPError as error:
        log.warning("alert webhook unreachable: %s", type(error).__name__)
        return False
    if response.is_error:
        log.warning("alert webhook answered HTTP %s", response.status_code)
        return False
    return True
