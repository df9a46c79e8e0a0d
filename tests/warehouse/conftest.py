"""`empty_url`: an empty database (SQLite file or a fresh PostgreSQL one), not upgraded; for
tests that build an older schema in it and then upgrade."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path}/old.db"
