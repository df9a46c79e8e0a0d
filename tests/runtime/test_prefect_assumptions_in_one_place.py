"""Only `runtime/prefect_compat.py` may lean on Prefect's internals or match its error texts,
so that a Prefect upgrade is checked in one module (and by
tests/deployments/test_prefect_compat.py)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPAT = REPO / "runtime" / "prefect_compat.py"
SOURCES = ["npf_ecwid", "flows", "tasks", "runtime", "deployments", "bench", "cli"]
INTERNAL = (
    "prefect.flow_engine",
    "prefect.utilities.engine",
    "prefect.utilities.asyncutils",
    "prefect._internal",
)
ERROR_TEXTS = ("must be created", "CSRF protection is disabled", "Failed to reach API")


def _internal(module: str) -> bool:
    private = any(part.startswith("_") for part in module.split(".")[1:])
    return module.startswith("prefect.") and (private or module.startswith(INTERNAL))


def _offences(path: Path) -> list[str]:
    source = path.read_text()
    found = [f"matches {text!r}" for text in ERROR_TEXTS if text in source]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [f"imports {name}" for name in names if _internal(name)]
    return found


def test_the_checker_sees_what_it_must_keep_out():
    assert _offences(COMPAT)  # the compat module itself does all of it


def test_no_module_but_prefect_compat_relies_on_prefect_internals():
    offences = {
        str(path.relative_to(REPO)): found
        for folder in SOURCES
        for path in sorted((REPO / folder).rglob("*.py"))
        if path != COMPAT and (found := _offences(path))
    }
    assert offences == {}
