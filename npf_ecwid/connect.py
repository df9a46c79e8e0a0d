"""The one place an `EcwidClient` is built from configuration.

It sits above `ecwid/` (not inside it) because it joins three packages that must not know each
other: `config` (which token, which URL), `breaker` (refuse a token Ecwid refused) and `ecwid`
(the HTTP client). Inside `ecwid/` it made `ecwid` import `config` and `breaker`, which both
import `ecwid` for its models and errors: two package cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from npf_ecwid.config import ClientConfig, SecretLoader, resolve_token
from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.ecwid.errors import EcwidAuthError
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.settings import Settings, get_settings

if TYPE_CHECKING:
    from npf_ecwid.breaker.guard import TokenBreaker


def open_ecwid(
    client: ClientConfig,
    settings: Settings | None = None,
    *,
    load_secret: SecretLoader | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: SlidingWindowLimiter | None = None,
    breaker: TokenBreaker | None = None,
    **options: float,
) -> EcwidClient:
    """An `EcwidClient` for `client`'s store: its `api_url` or `ECWID_API_URL`, its token
    (resolved now; `secret:` references need `load_secret`), the token's shared limiter.

    `transport` lets tests and the demo talk to the sandbox (ASGI or a real socket);
    `options` pass through to `EcwidClient` (`timeout`, `max_attempts`, `backoff_base`, ...);
    `timeout` defaults to `ECWID_TIMEOUT_S` (30 s).
    `breaker` (the flows pass one; `clients check` does not): raises `TokenRefused` before
    anything is sent while the breaker refuses this token, and trips it when Ecwid refuses it.
    Raises `ConfigError` when the token cannot be resolved. Use with `async with`.
    """
    settings = settings or get_settings()
    options.setdefault("timeout", settings.ecwid_timeout_s)
    token = resolve_token(client, load_secret)
    on_refused = None
    if breaker is not None:
        from npf_ecwid.breaker.guard import is_token_refusal

        breaker.guard(client.code, token)
        gate = breaker

        def on_refused(error: EcwidAuthError, call: str) -> bool:
            if not is_token_refusal(error):
                return False
            gate.tripped_by(client.code, token, error, call)
            return True

    return EcwidClient(
        base_url=client.ecwid_base_url(settings.ecwid_api_url),
        store_id=client.store_id,
        token=token,
        limiter=limiter,
        transport=transport,
        on_refused=on_refused,
        **options,  # type: ignore[arg-type]
    )
