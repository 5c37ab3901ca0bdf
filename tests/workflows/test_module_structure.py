"""The shape issue 10 asks for, kept: workflow modules import each other without cycles and
stay small, activities never import workflow code (only the leaf `workflows.ids`), and the
shared payloads import neither."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

MAX_LINES = 300


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The project modules a file imports (at any depth: also inside `with` blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _package(name: str) -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in sorted((ROOT / name).rglob("*.py"))}


def test_workflow_modules_import_each_other_without_a_cycle() -> None:
    graph = _package("workflows")
    edges = {m: {i for i in imports if i in graph and i != m} for m, imports in graph.items()}

    def visit(module: str, path: list[str]) -> None:
        for nxt in sorted(edges[module]):
            assert nxt not in path, f"import cycle: {' -> '.join([*path, nxt])}"
            visit(nxt, [*path, nxt])

    for module in edges:
        visit(module, [module])


def test_activities_import_no_workflow_code_and_payloads_neither() -> None:
    for module, imports in _package("activities").items():
        wanted = {i for i in imports if i.startswith("workflows")} - {"workflows", "workflows.ids"}
        assert not wanted, f"{module} imports workflow code: {sorted(wanted)}"
    for module, imports in _package("payloads").items():
        wanted = {i for i in imports if i.split(".")[0] in ("workflows", "activities", "api")}
        assert not wanted, f"{module} imports {sorted(wanted)}"


def test_workflow_modules_stay_small() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "workflows").rglob("*.py")}
    assert max(sizes.values()) <= MAX_LINES, sizes
