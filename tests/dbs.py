"""Databases for tests, made the way operators get theirs: `npf-ecwid db upgrade` first.

Adapters no longer create tables, and an engine refuses a database that is not at head, so
every fixture that makes a database upgrades it once here (tests of the upgrade itself build
older databases with their own engine instead; see tests/warehouse/legacy.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade


def upgraded_engine(url: str) -> Engine:
    """The engine for `url`, its database upgraded to head."""
    engine = get_engine(url)
    upgrade(engine)
    return engine


def upgraded(url: str) -> str:
    """`url`, its database upgraded to head (for fixtures that hand out URLs)."""
    upgraded_engine(url)
    return url
