"""Architecture rules, by static analysis of the sources (``ast``; nothing is imported).

* no import cycles among the modules of lisse/, solver/ and meshes/ (every import statement
  counts, also those inside functions; those under ``if TYPE_CHECKING:`` do not);
* no module longer than 400 lines;
* the Gmsh builders (meshes/, ``lisse.meshes``) never import the simulator (``lisse.solver``).

The folders install as ``lisse`` (lisse/), ``lisse.solver`` (solver/) and ``lisse.meshes``
(meshes/), see ``[tool.setuptools.package-dir]`` in pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"lisse": ROOT / "lisse", "lisse.solver": ROOT / "solver",
            "lisse.meshes": ROOT / "meshes"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the three folders."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST, type_checking: bool):
    """Every Import / ImportFrom below ``node`` (function bodies included), each with whether
    it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _import_nodes_of(stmt, True)
            for stmt in child.orelse:
                yield from _import_nodes_of(stmt, type_checking)
        else:
            yield from _import_nodes_of(child, type_checking)


def _import_nodes_of(node: ast.AST, type_checking: bool):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, type_checking
    else:
        yield from _import_nodes(node, type_checking)


def _known(name: str) -> str | None:
    """The longest prefix of ``name`` that is one of our modules (a package's __init__
    counts), or None for third-party and standard-library imports."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """Our modules that an import statement in ``module`` loads (the named module, or for
    ``from package import name`` the submodule ``package.name`` if there is one)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            is_package = MODULES[module].name == "__init__.py"
            parent = module.split(".")
            parent = parent[: len(parent) - node.level + (1 if is_package else 0)]
            base = ".".join([*parent, *([base] if base else [])])
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                 for alias in node.names]
    return {target for target in map(_known, names) if target and target != module}


def import_graph(include_type_checking: bool = False) -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[module] = set()
        for node, type_checking in _import_nodes(tree, False):
            if include_type_checking or not type_checking:
                graph[module] |= _targets(module, node)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest cycle through the first module of a strongly connected component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError(component)


def test_the_graph_sees_the_package_layout():
    graph = import_graph()
    assert {"lisse", "lisse.solver", "lisse.solver.cli", "lisse.meshes.build"} <= set(graph)
    assert "lisse.meshes.geometry" in graph["lisse.meshes.build"]  # absolute, top level
    assert "lisse.meshes.microstructure_cad" in graph["lisse.meshes.build"]  # in a function
    lazy = import_graph(True)["lisse.solver.config.params"]
    assert "lisse.solver.physics.evolution_settings" in lazy
    assert "lisse.solver.physics.gap_evolution" not in graph["lisse.solver.config.params"]


def test_cycles_are_found_and_printed():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_cycles():
    graph = import_graph()
    cycles = [" -> ".join(a_cycle(graph, c)) + f"   (component: {', '.join(c)})"
              for c in strongly_connected(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_longer_than_400_lines():
    long = {f"{path.relative_to(ROOT)} ({n} lines)"
            for path in MODULES.values()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules longer than {MAX_LINES} lines: " + ", ".join(sorted(long))


def test_meshes_do_not_import_the_solver():
    graph = import_graph(include_type_checking=True)
    offending = {f"{module} imports {target}"
                 for module, targets in graph.items() if module.startswith("lisse.meshes")
                 for target in targets if target.startswith("lisse.solver")}
    assert not offending, "meshes/ imports lisse.solver: " + "; ".join(sorted(offending))
