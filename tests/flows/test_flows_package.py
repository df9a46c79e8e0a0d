"""flows/ is the table of contents: every module in it defines a flow, nothing else lives there
(per-run helpers are in runtime/)."""

from __future__ import annotations

import importlib
from pathlib import Path

from prefect import Flow

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def test_every_module_in_flows_defines_a_flow():
    modules = sorted(p.stem for p in FLOWS.glob("*.py") if p.stem != "__init__")
    without = [
        name
        for name in modules
        if not any(
            isinstance(value, Flow) and value.fn.__module__ == f"flows.{name}"
            for value in vars(importlib.import_module(f"flows.{name}")).values()
        )
    ]
    assert modules and without == []
