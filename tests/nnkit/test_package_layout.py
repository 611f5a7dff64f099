"""The package's architecture, read from the source: no import cycles, and dependencies that
run one way (core <- theory <- book; checks alone), as CONTRIBUTING.md describes.

The import graph is built from every module's source with `ast`, so imports inside
functions count as much as those at the top: a cycle through a function-level import still
couples the two modules (and breaks as soon as someone moves the import up).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nnkit

ROOT = Path(nnkit.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The nnkit module that `name` (a module, or a module plus an attribute) refers to."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """Every nnkit module that `module` imports anywhere in its source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [f"{origin}.{alias.name}" for alias in node.names]
            if origin == "nnkit":  # `from nnkit import Dense`: the lazily exported name's module
                names = [f"nnkit.{nnkit._EXPORTS[a.name]}" if a.name in nnkit._EXPORTS
                         else f"nnkit.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name == "nnkit" or name.startswith("nnkit."):
                target = _resolve(name)
                if target is not None and target != module:
                    found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _part(module: str) -> str:
    if module == "nnkit.checks" or module.startswith("nnkit.checks."):
        return "checks"
    if module.startswith("nnkit.theory"):
        return "theory"
    if module.startswith("nnkit.book"):
        return "book"
    return "core"


#: which parts each part may import (besides itself)
ALLOWED = {"core": set(), "theory": {"core"}, "book": {"core", "theory"}, "checks": set()}


def test_the_graph_sees_the_modules_and_their_imports():
    # guards against a parser that silently finds nothing (then every test below would pass)
    assert {"nnkit.core", "nnkit.layers", "nnkit.theory.recurrent", "nnkit.book.viz",
            "nnkit.checks"} <= set(MODULES)
    assert "nnkit.core" in GRAPH["nnkit.layers"]  # `from .core import ...`
    assert "nnkit.theory.recurrent" in GRAPH["nnkit.theory"]  # package __init__ re-exports
    assert "nnkit.layers" in GRAPH["nnkit.theory.regions"]  # a function-level import
    # the book's subpackages: modules two levels down, and imports between the subpackages
    assert {"nnkit.book.diagrams.convolution", "nnkit.book.explorers.jsexplorer"} <= set(MODULES)
    assert "nnkit.book.explorers.pooling" in GRAPH["nnkit.book.explorers"]
    assert "nnkit.book.diagrams.convolution" in GRAPH["nnkit.book.explorers.pooling"]


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_anywhere_in_nnkit():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles (counting function-level imports): " + "; ".join(
        " <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "nnkit"))
def test_dependencies_run_one_way(module):
    part = _part(module)
    wrong = sorted(t for t in GRAPH[module]
                   if t != "nnkit" and _part(t) != part and _part(t) not in ALLOWED[part])
    assert not wrong, (f"{module} (part '{part}') imports {wrong}; allowed: "
                       f"{sorted(ALLOWED[part]) or 'nothing else of nnkit'}")
