"""The token breaker's check at the start of every flow run (`npf_ecwid.breaker`).

A plain function, not a task: it is one primary-key read on most runs, and each task run
costs the Prefect server events and rows (what limits how many clients one machine serves).
The token is resolved only when the breaker is refused, to tell a replaced token from the
refused one.
"""

from __future__ import annotations

from prefect import get_run_logger

from npf_ecwid.breaker.guard import open_breaker
from npf_ecwid.config import ClientConfig, resolve_token
from runtime.secrets import load_secret


def token_gate(config: ClientConfig) -> str | None:
    """None when the run may call Ecwid; else the reason it must not (logged as a warning)."""
    reason = open_breaker().gate(config.code, lambda: resolve_token(config, load_secret))
    if reason is not None:
        get_run_logger().warning("skipped: %s", reason)
    return reason
