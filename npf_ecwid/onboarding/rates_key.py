"""Issuing a store's rates key: a new random key into its Ecwid app storage, its hash to us.

Run at onboarding (`clients add`) and on demand (`clients rates-key CODE`, e.g. for clients
added before keys existed, or to rotate a key). See `npf_ecwid.shipping.rates_keys` for why
the key exists and where each copy lives.

Order: Ecwid first, then our database. If either step fails the two copies may differ and the
store's rates requests get 403 until the command is run again, which always converges (a new
key is written to both); a half-done issue never opens rates to a request without the key.
"""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from npf_ecwid.config import ClientConfig, SecretLoader
from npf_ecwid.connect import open_ecwid
from npf_ecwid.ecwid.errors import EcwidError
from npf_ecwid.settings import Settings
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, new_key, save_key_hash

REQUIRED_SCOPE = "update_store_profile"  # add-app-storage-data.md


class RatesKeyError(RuntimeError):
    """The key could not be issued; the message names no token and no key."""


async def issue_rates_key(
    client: ClientConfig,
    settings: Settings,
    engine: Engine,
    *,
    load_secret: SecretLoader | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Give `client`'s store a new rates key (replacing any old one). Raises `RatesKeyError`
    (Ecwid refused or unreachable) or `ConfigError` (token not resolvable)."""
    key = new_key()
    ecwid = open_ecwid(
        client, settings, load_secret=load_secret, transport=transport, max_attempts=3
    )
    async with ecwid:
        try:
            await ecwid.set_app_storage(STORAGE_KEY, key)
        except (EcwidError, httpx.HTTPError) as error:
            status = getattr(error, "status", None)
            hint = f" (the token needs the {REQUIRED_SCOPE} scope)" if status == 403 else ""
            raise RatesKeyError(
                f"client {client.code}: Ecwid did not store the rates key: {error}{hint}"
            ) from None
    save_key_hash(engine, client.store_id, client.code, key)
