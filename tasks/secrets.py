"""Prefect Secret blocks as the token loader for `secret:NAME` references in the clients file."""

from __future__ import annotations

from prefect.blocks.system import Secret


def load_prefect_secret(name: str) -> str:
    """The value of the Prefect Secret block `name` (`config.resolve_token` turns failures into
    a `ConfigError` naming the block, never the value)."""
    value = Secret.load(name).get()
    return str(value)
