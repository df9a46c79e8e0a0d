"""The rates-key table on SQLite and PostgreSQL: issue, re-issue, look up, compare."""

from __future__ import annotations

import pytest

from npf_ecwid.db import get_engine
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, db_keys, key_matches, save_key_hash
from tests.dbs import upgraded


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return upgraded(f"sqlite:///{tmp_path / 'keys.db'}")
    return upgraded(request.getfixturevalue("postgres_url"))


def test_reissued_key_replaces_the_old_one(database_url: str) -> None:
    engine = get_engine(database_url)
    keys = db_keys(engine)
    save_key_hash(engine, 1003, "ACME", "first-key")
    assert key_matches(1003, {STORAGE_KEY: "first-key"}, keys)
    save_key_hash(engine, 1003, "ACME", "second-key")
    assert key_matches(1003, {STORAGE_KEY: "second-key"}, keys)
    assert not key_matches(1003, {STORAGE_KEY: "first-key"}, keys)
    assert not key_matches(2002, {STORAGE_KEY: "second-key"}, keys)  # unknown store
    assert keys(2**63) is None and keys(-1) is None  # out of the column's range: no query
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT store_id, key_sha256 FROM npf_rates_key")
        rows = stored.all()
    assert len(rows) == 1 and "second-key" not in rows[0][1]  # a hash, never the key
