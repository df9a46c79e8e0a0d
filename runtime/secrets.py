"""Prefect Secret blocks for `secret:NAME` token references in the clients file.

Outside `npf_ecwid` because it imports Prefect; the library takes `load_secret` as a plain
callable (`npf_ecwid.config.SecretLoader`). The one loader the tasks and the CLI share."""

from __future__ import annotations

from prefect.blocks.system import Secret
from pydantic import SecretStr


def save_secret(name: str, value: SecretStr) -> None:
    """Create or overwrite the block; its value is encrypted in the Prefect DB."""
    Secret(value=value.get_secret_value()).save(name, overwrite=True)


def load_secret(name: str) -> str:
    """The value of the Prefect Secret block `name` (`config.resolve_token` turns failures into
    a `ConfigError` naming the block, never the value)."""
    return str(Secret.load(name).get())
