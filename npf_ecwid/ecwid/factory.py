"""The one place an `EcwidClient` is built from configuration."""

from __future__ import annotations

import httpx

from npf_ecwid.config import ClientConfig, SecretLoader, resolve_token
from npf_ecwid.ecwid.client import EcwidClient
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.settings import Settings, get_settings


def open_ecwid(
    client: ClientConfig,
    settings: Settings | None = None,
    *,
    load_secret: SecretLoader | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: SlidingWindowLimiter | None = None,
    **options: float,
) -> EcwidClient:
    """An `EcwidClient` for `client`'s store: its `api_url` or `ECWID_API_URL`, its token
    (resolved now; `secret:` references need `load_secret`), the token's shared limiter.

    `transport` lets tests and the demo talk to the sandbox (ASGI or a real socket);
    `options` pass through to `EcwidClient` (`timeout`, `max_attempts`, `backoff_base`, ...);
    `timeout` defaults to `ECWID_TIMEOUT_S` (30 s).
    Raises `ConfigError` when the token cannot be resolved. Use with `async with`.
    """
    settings = settings or get_settings()
    options.setdefault("timeout", settings.ecwid_timeout_s)
    return EcwidClient(
        base_url=client.ecwid_base_url(settings.ecwid_api_url),
        store_id=client.store_id,
        token=resolve_token(client, load_secret),
        limiter=limiter,
        transport=transport,
        **options,  # type: ignore[arg-type]
    )
