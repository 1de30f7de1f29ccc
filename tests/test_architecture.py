"""The package's structure: no import cycles (function-level imports included), small modules,
and an output layer that never imports the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "eventstudy"
MAX_LINES = 600
# Layers above the renderers: eventstudy.output may not import these.
ABOVE_OUTPUT = ("eventstudy.results", "eventstudy.study", "eventstudy.results.tables", "eventstudy.cli",
                "eventstudy.results.folder")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every eventstudy module ``path`` imports, anywhere in the file."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(files)) - {name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_checker_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    # A package imports its own submodules (re-exports); only cycles between modules count.
    graph = {name: {t for t in targets if not t.startswith(name + ".")}
             for name, targets in import_graph().items()}
    assert find_cycle(graph) == []


def test_output_layer_never_imports_upward() -> None:
    upward = {name: sorted(t for t in targets if t.startswith(ABOVE_OUTPUT))
              for name, targets in import_graph().items() if name.startswith("eventstudy.output")}
    assert {name: t for name, t in upward.items() if t} == {}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_every_estimator_has_the_one_estimator_signature() -> None:
    import inspect

    from eventstudy.models.engine import Estimator
    from eventstudy.models.registry import MODELS

    expected = list(inspect.signature(Estimator.__call__).parameters)[1:]  # without self
    for model in MODELS.values():
        assert list(inspect.signature(model.estimator).parameters) == expected, model.name
