"""Who may ask for rates: a random per-store key, kept in the store's Ecwid app storage.

Ecwid's shipping request is unsigned; what it does carry is `merchantAppSettings`, the app's
own storage values for that store (research/ecwid-api.md section 7: "including public and
other keys"). So onboarding writes a random key into a private storage key (`npfRatesKey`,
not the storefront-readable `public` one) with `POST /storage/{key}`
(docs/ecwid/api-reference/rest-api/application/add-app-storage-data.md), and the rates
endpoint answers only requests that carry it back.

Our copy is a SHA-256 of the key in the `npf_rates_key` table, not in the clients file: the
clients file is edited, copied and shown (`clients list`) by people, and a hash in the
database lets nobody who reads it forge a request. The comparison is constant-time
(`hmac.compare_digest`), and an unknown store is compared against a dummy hash, so a wrong
key and an unknown store take the same time and get the same 403: stores are not enumerable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Engine, select
from sqlmodel import Field, SQLModel

from npf_ecwid.db import UTCDateTime, dialect_insert

STORAGE_KEY = "npfRatesKey"  # the app-storage key; Ecwid sends it back in merchantAppSettings

RatesKeyLookup = Callable[[int], str | None]  # store id -> stored SHA-256 hex, None if unknown

_DUMMY_HASH = hashlib.sha256(b"no key for this store").hexdigest()


class RatesKey(SQLModel, table=True):
    """One row per Ecwid store: the hash of the key its app storage holds."""

    __tablename__ = "npf_rates_key"

    store_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    client: str = Field(max_length=40)
    key_sha256: str = Field(max_length=64)
    issued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


def new_key() -> str:
    """256 random bits, URL-safe (app storage values are strings)."""
    return secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def save_key_hash(engine: Engine, store_id: int, client: str, key: str) -> None:
    """Record (or replace) the store's key hash. Idempotent for the same key."""
    table: Any = RatesKey.__table__
    row = {
        "store_id": store_id,
        "client": client,
        "key_sha256": key_hash(key),
        "issued_at": datetime.now(UTC),
    }
    with engine.begin() as connection:
        insert = dialect_insert(connection, table).values(**row)
        connection.execute(
            insert.on_conflict_do_update(
                index_elements=["store_id"],
                set_={k: insert.excluded[k] for k in ("client", "key_sha256", "issued_at")},
            )
        )


def db_keys(engine: Engine) -> RatesKeyLookup:
    """A lookup reading the table on every call, so a re-issued key counts at once."""

    table: Any = RatesKey.__table__

    def lookup(store_id: int) -> str | None:
        if not 0 < store_id < 2**63:
            return None
        with engine.connect() as connection:
            query = select(table.c.key_sha256).where(table.c.store_id == store_id)
            return connection.execute(query).scalar_one_or_none()

    return lookup


def static_keys(keys: Mapping[int, str]) -> RatesKeyLookup:
    """Plain keys per store (tests, the demo): hashed here like the database's copies."""
    hashes = {store: key_hash(key) for store, key in keys.items()}
    return hashes.get


def no_keys(store_id: int) -> str | None:
    """No store may ask (the safe default when no key source is wired)."""
    return None


def key_matches(store_id: int, settings: Mapping[str, object] | None, keys: RatesKeyLookup) -> bool:
    """Does `merchantAppSettings` carry this store's key? Same work whatever the answer."""
    presented = (settings or {}).get(STORAGE_KEY)
    stored = keys(store_id)
    candidate = key_hash(presented) if isinstance(presented, str) else ""
    same = hmac.compare_digest(candidate.encode(), (stored or _DUMMY_HASH).encode())
    return same and stored is not None
