"""The direction of imports that ARCHITECTURE.md promises, checked by package prefix over every
import: at module level, inside functions and under `if TYPE_CHECKING:` alike (a deferred
import is still a dependency, and the one that makes a small change a hunt).

Each rule collects every offence first and fails once, naming each module, the line and the
import, so one run shows the whole picture."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tofy_core", "tofy_tui")

# The layers, bottom to top; this mirrors ARCHITECTURE.md ("tofy_core, bottom to top" and "Two
# packages, one direction"): change both together. A module may import its own package and any
# lower layer, never a higher one; the packages of one layer never import each other.
# FOUNDATIONS stands for every top-level module of tofy_core (errors, paths, fsutil, format,
# config, presets, recipes, rates, progress, threads, ...) and the `tofy_core` package itself;
# they may import one another but never a subpackage. `tofy_core.__main__` is the entry point.
FOUNDATIONS = "tofy_core foundations"
LAYERS: tuple[tuple[str, ...], ...] = (
    (FOUNDATIONS,),
    ("tofy_core.data",),
    ("tofy_core.model",),
    ("tofy_core.runs",),
    ("tofy_core.train", "tofy_core.probe"),
    ("tofy_core.cli",),
    ("tofy_core.__main__",),
    ("tofy_tui",),
)

# What only the entry point and the app's child-command builder may import.
CLI_IMPORTERS = ("tofy_core.__main__", "tofy_tui.training")

# Modules that read or write files: the model imports none of them (directly).
FILE_MODULES = (
    "tofy_core.runs",
    "tofy_core.cli",
    "tofy_core.paths",
    "tofy_core.fsutil",
    "tofy_core.data.text",
    "tofy_core.data.hub",
    "tofy_core.data.split",
    "tofy_core.data.hub_cache",
    "tofy_core.data.prepare",
)


# ----------------------------------------------------------------------------- reading imports


@dataclass(frozen=True)
class Import:
    """One imported module as `source` names it: ours resolved to the module (`from pkg import
    mod` is `pkg.mod`, `from mod import name` is `mod`), others as written."""

    source: str
    target: str
    line: int
    where: str  # "", " (in a function)" or " (under TYPE_CHECKING)"
    names: tuple[str, ...] = ()  # what `from target import ...` takes

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}{self.where}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def reaches(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, where: str = "") -> Iterator[tuple[ast.AST, str]]:
    """Every node under `node` with where it sits (a function wins over TYPE_CHECKING)."""
    for child in ast.iter_child_nodes(node):
        yield child, where
        inner = where
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inner = " (in a function)"
        elif isinstance(child, ast.If) and _is_type_checking(child.test) and not where:
            for part in child.body:
                yield part, " (under TYPE_CHECKING)"
                yield from _walk(part, " (under TYPE_CHECKING)")
            for part in child.orelse:
                yield part, where
                yield from _walk(part, where)
            continue
        yield from _walk(child, inner)


@cache
def tree_of(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(encoding="utf-8"))


def _base(name: str, node: ast.ImportFrom) -> str:
    """The module `from … import` names, relative forms resolved."""
    base = node.module or ""
    if node.level:
        package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
        anchor = package.split(".")
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return base


@cache
def imports_of(name: str) -> tuple[Import, ...]:
    known = modules()
    found: list[Import] = []
    for node, where in _walk(tree_of(name)):
        if isinstance(node, ast.Import):
            found.extend(Import(name, alias.name, node.lineno, where) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(name, node)
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
            rest = tuple(n for n in names if f"{base}.{n}" not in known)
            found.extend(Import(name, target, node.lineno, where) for target in submodules)
            if rest or not submodules:
                found.append(Import(name, base, node.lineno, where, rest))
    return tuple(found)


def core_modules() -> list[str]:
    return [name for name in modules() if reaches(name, "tofy_core")]


def package_of(name: str) -> str | None:
    """The LAYERS entry `name` belongs to (its longest prefix there), or None."""
    if name == "tofy_core":
        return FOUNDATIONS
    top_level = name.count(".") == 1 and reaches(name, "tofy_core")
    if top_level and name != "tofy_core.__main__" and name not in _subpackages():
        return FOUNDATIONS
    matches = [p for layer in LAYERS for p in layer if p != FOUNDATIONS and reaches(name, p)]
    return max(matches, key=len) if matches else None


@cache
def _subpackages() -> frozenset[str]:
    return frozenset(n for n, path in modules().items() if path.name == "__init__.py")


def layer_of(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def fail_on(found: list[str], rule: str) -> None:
    """Fail naming every offence (no assertion repr to read past)."""
    if found:
        pytest.fail(f"{rule}:\n  " + "\n  ".join(found), pytrace=False)


# ----------------------------------------------------------------------------- the rules


def test_every_engine_module_has_a_layer():
    """A new subpackage goes into LAYERS (and ARCHITECTURE.md) before its first import."""
    unplaced = [name for name in core_modules() if package_of(name) is None]
    fail_on(unplaced, "tofy_core modules in no layer of LAYERS")


def test_the_engine_imports_only_its_own_package_or_a_lower_layer():
    found = []
    for name in core_modules():
        own = package_of(name)
        if own is None:
            continue
        for imp in imports_of(name):
            target = package_of(imp.target) if reaches(imp.target, "tofy_core") else None
            if target is None or target == own:
                continue
            if layer_of(target) >= layer_of(own):
                found.append(f"{imp}: {target} is not below {own}")
    fail_on(found, "imports that point up or sideways in LAYERS")


def test_train_and_probe_never_import_each_other():
    pairs = (("tofy_core.train", "tofy_core.probe"), ("tofy_core.probe", "tofy_core.train"))
    found = []
    for name in core_modules():
        for a, b in pairs:
            if reaches(name, a):
                found += [str(imp) for imp in imports_of(name) if reaches(imp.target, b)]
    fail_on(found, "train and probe import each other")


def test_only_the_entry_point_and_the_apps_child_command_import_the_cli():
    found = []
    for name in modules():
        if reaches(name, "tofy_core.cli") or name in CLI_IMPORTERS:
            continue
        found += [str(imp) for imp in imports_of(name) if reaches(imp.target, "tofy_core.cli")]
    fail_on(found, f"imports of tofy_core.cli outside {CLI_IMPORTERS}")


def test_the_engine_never_imports_the_app_or_textual():
    found = [
        str(imp)
        for name in core_modules()
        for imp in imports_of(name)
        if reaches(imp.target, "tofy_tui") or reaches(imp.target, "textual")
    ]
    fail_on(found, "engine modules importing the app or textual")


def test_widgets_never_import_screens():
    found = [
        str(imp)
        for name in modules()
        if reaches(name, "tofy_tui.widgets")
        for imp in imports_of(name)
        if reaches(imp.target, "tofy_tui.screens")
    ]
    fail_on(found, "widgets importing screens")


def test_the_model_knows_nothing_of_files_or_runs():
    found = [
        str(imp)
        for name in core_modules()
        if reaches(name, "tofy_core.model")
        for imp in imports_of(name)
        if any(reaches(imp.target, forbidden) for forbidden in FILE_MODULES)
    ]
    fail_on(found, "the model importing modules that touch files")


def import_graph() -> dict[str, dict[str, Import]]:
    """Module → the modules of ours it imports (the first such import), every import counted;
    a package's __init__ importing its own submodules is how packages work, so not an edge."""
    known = modules()
    graph: dict[str, dict[str, Import]] = {}
    for name in known:
        edges = graph.setdefault(name, {})
        for imp in imports_of(name):
            if imp.target in known and imp.target != name and not reaches(imp.target, name):
                edges.setdefault(imp.target, imp)
    return graph


def circles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One shortest circle through the first module of each strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan; the graph is small enough to recurse
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)

    found = []
    for group in sorted(groups):
        start, members = group[0], set(group)
        came_from: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in came_from:
            following = []
            for node in frontier:
                for target in sorted(graph[node]):
                    if target in members and target not in came_from:
                        came_from[target] = node
                        following.append(target)
            frontier = following
        path = [start]
        while came_from[path[-1]] != start:
            path.append(came_from[path[-1]])
        found.append([start, *reversed(path)])
    return found


def test_no_import_circle_function_level_imports_included():
    graph = import_graph()
    found = []
    for circle in circles(graph):
        steps = [str(graph[a][b]) for a, b in pairwise(circle)]
        found.append(" → ".join(circle) + "\n    " + "\n    ".join(steps))
    fail_on(found, "import circles")


# Private names of Textual: `from textual… import _x`, an import of a `textual…._module`, or
# an attribute `._x` that none of our own code defines (statically we cannot know an object's
# class, so a `_name` we assign, def or declare anywhere is taken as ours, and `mod._x` on a
# module of ours or a non-Textual library is not Textual's business).


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@cache
def our_private_names() -> frozenset[str]:
    names = set()
    for name in modules():
        for node in ast.walk(tree_of(name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(n for n in names if _private(n))


def non_textual_module_names(name: str) -> set[str]:
    """Names that `name` binds to a module that is not Textual's (`import os`, `from tofy_core
    import paths`)."""
    bound = set()
    for node in ast.walk(tree_of(name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not reaches(alias.name, "textual"):
                    bound.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = _base(name, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules():
                    bound.add(alias.asname or alias.name)
    return bound


def test_no_private_names_of_textual():
    ours = our_private_names()
    found = []
    for name in modules():
        for imp in imports_of(name):
            if not reaches(imp.target, "textual"):
                continue
            if any(_private(part) for part in imp.target.split(".")):
                found.append(f"{imp}: a private Textual module")
            found += [f"{imp}: its private {n}" for n in imp.names if _private(n)]
        modules_bound = non_textual_module_names(name)
        for node in ast.walk(tree_of(name)):
            if not isinstance(node, ast.Attribute) or not _private(node.attr):
                continue
            if node.attr in ours:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in modules_bound:
                continue
            found.append(f"{name}:{node.lineno} uses {ast.unparse(node)}: a private name")
    fail_on(found, "private names of Textual (or of another library)")
