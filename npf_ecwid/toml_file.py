"""Reading an operator's TOML file (the clients file, the rate cards) with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path, what: str, error: type[Exception], hint: str = "") -> dict[str, Any]:
    """The parsed document, or `error` with one line naming `what` and `path`: not found (then
    `hint`, e.g. which setting points at it) or TOML's own message with its line and column."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} not found{hint}") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{what} {path}: {problem}") from None
