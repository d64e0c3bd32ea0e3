"""The import graph of src/redline: layers read top-down, and nothing imports in a circle.

Every ``import`` statement counts, wherever it stands: at module level, inside a
function (a lazy import) or under ``TYPE_CHECKING``. docs/architecture.md
describes the layers.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.support.paths import ROOT

SOURCE = ROOT / "src" / "redline"

#: The layers from the bottom up: a module may import its own layer's modules and
#: those of the layers below it, never those above. A layer is named by the
#: packages or modules (under ``redline``) it holds.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("caches", "data", "destinations", "files", "allocation"),  # base utilities
    ("scenario", "scenarios"),                            # the language and built-ins
    ("games",),                                           # closed-form games
    ("arrays",),                                          # scenarios compiled to arrays
    ("mechanisms",),                                      # one weekly step each
    ("estimation",),                                      # fitting mechanisms to data
    ("results",),                                         # what an ensemble returns
    ("engine",),                                          # runs the mechanisms
    ("store",),                                           # stored results
    ("analysis",),                                        # comparisons, sensitivity, ...
    ("history",),                                         # ICB backtest and estimates
    ("report",),                                          # figures, Markdown, HTML
    ("verify",),                                          # checks against closed forms
    ("(root)", "study"),                                  # the front: redline, Study
    ("web",),
    ("cli",),
    ("__main__",),
)


def module_files(source: Path = SOURCE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at ``source``."""
    result = {}
    for path in source.rglob("*.py"):
        parts = path.relative_to(source.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        result[".".join(parts)] = path
    return result


def import_graph(source: Path = SOURCE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (lazy and type-checking imports included)."""
    files = module_files(source)
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(kept + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            edges[name].update(t for t in targets if t in files and t != name)
    return edges


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of the layer that holds ``module``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "(root)"
    for index, members in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def test_every_module_belongs_to_a_layer():
    for module in module_files():
        layer_of(module)


def test_no_module_imports_from_a_higher_layer():
    upward = sorted(f"{source} -> {target}"
                    for source, targets in import_graph().items() for target in targets
                    if layer_of(target) > layer_of(source))
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    assert not cycles(import_graph())


def test_the_checks_find_what_they_look_for(tmp_path):
    """The graph walker sees lazy, relative and type-checking imports; the finder a circle."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import low\n")
    (package / "sub" / "low.py").write_text("def f():\n    from pkg import high\n")
    (package / "high.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import low\n")
    edges = import_graph(package)
    assert edges["pkg.sub"] == {"pkg.sub.low"}
    assert edges["pkg.sub.low"] == {"pkg", "pkg.high"}
    assert edges["pkg.high"] == {"pkg.sub", "pkg.sub.low"}
    assert cycles(edges) == [["pkg.high", "pkg.sub", "pkg.sub.low"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("redline.engine.run") > layer_of("redline.mechanisms.fronts")


#: The longest a function in src/redline may be, in lines (docstring included):
#: past this a function holds more than one step and should be split.
LONGEST_FUNCTION = 200


def function_lengths(source: Path = SOURCE) -> dict[str, int]:
    """Lines of every function and method, by ``module:qualified name``."""
    lengths: dict[str, int] = {}
    for module, path in module_files(source).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno if node.end_lineno is not None else node.lineno
                lengths[f"{module}:{node.name}@{node.lineno}"] = end - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_the_limit(tmp_path):
    long = {name: n for name, n in function_lengths().items() if n >= LONGEST_FUNCTION}
    assert not long, long
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "def f():\n" + "    x = 1\n" * LONGEST_FUNCTION + "def g():\n    pass\n")
    assert function_lengths(package) == {"pkg:f@1": LONGEST_FUNCTION + 1, "pkg:g@202": 2}
