"""The code base's layering, checked from the source, so a stray import fails here and not in a
maintainer's head.

The line runs `cli -> deployments -> flows -> tasks -> npf_ecwid`: the library (`npf_ecwid`)
is plain Python that another tool can import without Prefect or our application; the packages
inside it depend on each other one way (a cycle means neither can be understood, tested or moved
without the other); the sandbox and `npf_ecwid/testing` stand in for Ecwid in tests and the demo,
so nothing that runs in production may import them. Every import counts, including those inside
functions and under `TYPE_CHECKING`: a lazy import hides a dependency, it does not remove it.

The wheel test builds the real wheel: it must hold the library only, since generic top-level
names (`flows`, `tasks`, `cli`) installed into site-packages collide with other projects'.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = "npf_ecwid"
# Highest first: each may import those after it, never those before it.
ORCHESTRATION = ("cli", "deployments", "flows", "tasks", "runtime")
TOPS = (*ORCHESTRATION, LIBRARY)
NOT_PRODUCTION = ("npf_ecwid.sandbox", "npf_ecwid.testing")
# The CLI commands that exist to run the sandbox (`sandbox serve`, `demo`).
SANDBOX_COMMANDS = ("cli.sandbox", "cli.demo", "cli.demo_cycle")


@dataclass(frozen=True)
class Import:
    source: str  # importing module, e.g. "npf_ecwid.orders.pull"
    target: str  # imported module (or module.name for `from package import name`)
    where: str  # "path:line"
    scope: str  # "" at module level, else "in a function" or "under TYPE_CHECKING"

    def describe(self) -> str:
        scope = f" ({self.scope})" if self.scope else ""
        return f"{self.where}: {self.source} imports {self.target}{scope}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _statements(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, str]]:
    """Each import statement with its scope: "" (module level), "in a function", or
    "under TYPE_CHECKING"."""
    found: list[tuple[ast.Import | ast.ImportFrom, str]] = []

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = scope or "in a function"
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = scope or "under TYPE_CHECKING"
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, scope))
            visit(child, inner)

    visit(tree, "")
    return found


def imports_in(path: Path) -> list[Import]:
    """Every import statement in `path`, relative ones resolved to absolute module names."""
    source = module_name(path)
    package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
    found = []
    for node, scope in _statements(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from npf_ecwid import config` imports the module npf_ecwid.config
            targets = sorted({_module_of(base, alias.name) for alias in node.names})
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        found += [Import(source, target, where, scope) for target in targets]
    return found


def _module_of(base: str, name: str) -> str:
    """`base.name` when that is one of our modules or packages, else `base` (a name in it)."""
    candidate = ROOT.joinpath(*base.split("."), name)
    if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
        return f"{base}.{name}"
    return base


def all_imports() -> list[Import]:
    files = [p for top in TOPS for p in sorted((ROOT / top).rglob("*.py"))]
    assert files, f"no sources found under {ROOT}"
    return [imp for path in files for imp in imports_in(path)]


def group(module: str) -> str:
    """The package a module belongs to: `npf_ecwid.<subpackage or module>`, or its top folder."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == LIBRARY else parts[0]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


IMPORTS = all_imports()


def test_the_walk_sees_the_imports_the_code_has():
    """Guards the checks below against passing because the walker found nothing."""
    edges = {(group(i.source), group(i.target)) for i in IMPORTS}
    assert ("tasks", "prefect") in edges
    assert ("flows", "tasks") in edges
    assert ("npf_ecwid.orders", "npf_ecwid.ecwid") in edges
    lazy = [i for i in IMPORTS if i.scope == "in a function" and i.source == "cli.orders"]
    assert any(i.target.startswith("flows.") for i in lazy)


def test_library_imports_no_prefect_and_no_application_code():
    forbidden = ("prefect", *ORCHESTRATION)
    bad = [
        i.describe()
        for i in IMPORTS
        if within(i.source, LIBRARY) and any(within(i.target, top) for top in forbidden)
    ]
    assert not bad, "the library must not import Prefect or the application:\n" + "\n".join(bad)


def test_orchestration_imports_point_down_only():
    """cli may import deployments, flows, tasks, runtime; each only the folders after it."""
    bad = []
    for i in IMPORTS:
        if i.source.split(".")[0] not in ORCHESTRATION:
            continue
        level = ORCHESTRATION.index(i.source.split(".")[0])
        above = ORCHESTRATION[:level]
        if any(within(i.target, top) for top in above):
            bad.append(i.describe())
    assert not bad, "an import points up " + " -> ".join(TOPS) + ":\n" + "\n".join(bad)


def test_production_code_does_not_import_the_sandbox_or_testing_helpers():
    def production(module: str) -> bool:
        if any(within(module, p) for p in NOT_PRODUCTION):
            return False
        return not any(within(module, c) for c in SANDBOX_COMMANDS)

    bad = [
        i.describe()
        for i in IMPORTS
        if production(i.source) and any(within(i.target, p) for p in NOT_PRODUCTION)
    ]
    assert not bad, "production code imports test stand-ins:\n" + "\n".join(bad)


def package_graph() -> dict[str, dict[str, list[Import]]]:
    """package -> package it imports -> the import statements that make the edge."""
    graph: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for i in IMPORTS:
        a, b = group(i.source), group(i.target)
        if a != b and within(i.source, LIBRARY) and within(i.target, LIBRARY):
            graph[a][b].append(i)
    return graph


def elementary_cycles(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """Each simple cycle once, starting at its smallest node (the graph has ~25 nodes)."""
    cycles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, {})):
            if nxt == start:
                cycles.append(path[:])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


def test_elementary_cycles_finds_each_cycle_once():
    edge = [Import("a", "b", "x:1", "")]
    graph = {"a": {"b": edge, "c": edge}, "b": {"a": edge}, "c": {"b": edge}}
    assert elementary_cycles(graph) == [["a", "b"], ["a", "c", "b"]]


def test_library_packages_have_no_import_cycles():
    graph = package_graph()
    cycles = elementary_cycles(graph)
    report = []
    for cycle in cycles:
        report.append("cycle " + " -> ".join([*cycle, cycle[0]]) + ", made by:")
        for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
            lines = sorted({f"{i.where}{f' ({i.scope})' if i.scope else ''}" for i in graph[a][b]})
            report.append(f"  {a} -> {b}: " + ", ".join(lines))
    assert not cycles, f"{len(cycles)} package cycle(s) in npf_ecwid:\n" + "\n".join(report)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built the way a user would (`pip wheel .`, no dependencies)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_installs_the_library_only(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    importable = {t.removesuffix(".py") for t in tops if not t.endswith((".dist-info", ".data"))}
    assert importable == {LIBRARY}
    assert "npf_ecwid/connect.py" in names  # the library itself is all there
