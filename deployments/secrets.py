"""Prefect Secret blocks for `secret:NAME` token references (Prefect-side, outside npf_ecwid)."""

from __future__ import annotations

from prefect.blocks.system import Secret
from pydantic import SecretStr


def save_secret(name: str, value: SecretStr) -> None:
    """Create or overwrite the block; its value is encrypted in the Prefect DB."""
    Secret(value=value.get_secret_value()).save(name, overwrite=True)


def load_secret(name: str) -> str:
    return str(Secret.load(name).get())
