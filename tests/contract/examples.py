"""Ecwid's own example payloads (tests/contract/ecwid_docs/), each with the doc page it came from.

`index.json` names, per file, the page (`source`), which example on it (`example`), and any edit
made to turn it into JSON (`edited`: comments removed, a missing comma); the payloads themselves
are as the docs show them, so what parses here is what the docs promise.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DOCS = Path(__file__).parent / "ecwid_docs"


@cache
def index() -> dict[str, dict[str, str]]:
    return json.loads((DOCS / "index.json").read_text(encoding="utf-8"))


@cache
def _load(name: str) -> Any:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def example(name: str) -> Any:
    """A fresh copy of one example (tests may change it)."""
    assert name in index(), f"{name} is not listed in ecwid_docs/index.json"
    return copy.deepcopy(_load(name))


def examples(prefix: str) -> list[str]:
    return sorted(n for n in index() if n.startswith(prefix))
