"""The package's layers (docs/development.md#layers): each module imports only from its own
layer or those below it, and no chain of imports comes back to where it started. Every import
is read, those inside functions too (an import moved into a function to dodge a circle is
still a circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hotspots"

# Lowest first. A module may import from its own layer or any layer before it.
LAYERS = ("base", "model", "storage", "services", "web", "jobs", "cli", "documents")
# The package's own module (hotspots/__init__.py) puts the web app and the command line
# together: it sits above them, with the documents generated from both.
RANK = {name: rank for rank, name in enumerate(LAYERS)}
RANK["hotspots"] = RANK["documents"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] == "jobs":  # installed as hotspots.jobs (setup.py)
        parts.insert(0, "hotspots")
    return ".".join(parts)


def source_files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    jobs = ROOT / "jobs"
    if jobs.is_dir():  # the scheduler's jobs, wherever the package installs them
        files += sorted(jobs.glob("*.py"))
    return [f for f in files if "static" not in f.relative_to(ROOT).parts]


MODULES = {module_name(f): f for f in source_files()}


def resolve(name: str) -> str | None:
    """The service's module an import names (the longest known prefix), or None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, module imported) for every import of the service's own modules in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            # `from hotspots import storage` imports a module; `from x import name` the module x
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            target = resolve(name)
            if target and target != module and (node.lineno, target) not in found:
                found.append((node.lineno, target))
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "hotspots"
    return parts[1] if parts[1] in RANK else "hotspots"


GRAPH = {module: imports_of(module, path) for module, path in MODULES.items()}


def test_every_module_of_the_package_sits_in_a_layer():
    loose = [m for m in MODULES if m.count(".") == 1 and layer_of(m) == "hotspots"]
    assert loose == [], "put each module in the folder of its layer (docs/development.md)"


def test_no_module_imports_from_a_layer_above_its_own():
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line} ({layer_of(module)}) imports {target} "
        f"({layer_of(target)})"
        for module, found in GRAPH.items()
        for line, target in found
        if RANK[layer_of(target)] > RANK[layer_of(module)]
    ]
    assert upward == []


def cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for _, target in graph.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def without_package_parents(graph):
    """A package's ``__init__`` that imports its own submodules (to offer their names) is
    not a circle with them: a submodule importing its package gets the package's module."""
    return {
        module: [(line, t) for line, t in found if not t.startswith(module + ".")]
        for module, found in graph.items()
    }


def test_no_chain_of_imports_comes_back_to_where_it_started():
    assert cycles(without_package_parents(GRAPH)) == []


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": [(1, "b")], "b": [(1, "c")], "c": [(1, "a")]}, [["a", "b", "c"]]),
        ({"a": [(1, "b")], "b": [(1, "c")], "c": []}, []),
        ({"a": [(1, "a.b")], "a.b": [(1, "a")]}, []),
    ],
)
def test_the_circle_finder_finds_a_circle_and_only_a_circle(graph, expected):
    assert cycles(without_package_parents(graph)) == expected


def test_the_layer_test_reads_imports_inside_functions(tmp_path, monkeypatch):
    path = tmp_path / "x.py"
    path.write_text("def f():\n    from hotspots.web import pages\n")
    monkeypatch.setitem(MODULES, "hotspots.model.x", path)
    assert imports_of("hotspots.model.x", path) == [(2, "hotspots.web.pages")]


def test_the_table_of_layers_in_the_docs_lists_these_folders_in_this_order():
    text = (ROOT / "docs" / "development.md").read_text()
    table = text[text.index("## Layers") :].split("\n## ")[0]
    folders = [line.split("|")[2].strip(" `/") for line in table.splitlines()
               if line.startswith("| ") and "`" in line.split("|")[2]]  # fmt: skip
    assert folders == [f"hotspots/{layer}" if layer != "jobs" else "jobs" for layer in LAYERS]
    for folder in folders:
        assert (ROOT / folder).is_dir(), folder
