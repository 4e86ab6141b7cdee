"""The direction of imports that ARCHITECTURE.md promises: the engine never reaches into the
app, data never into the run registry, the model never into files, and no module-level import
circle anywhere (a circle is what turns a small change into a hunt)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tofy_core", "tofy_tui")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(path: Path, top_level_only: bool) -> set[str]:
    """Modules `path` imports; with `top_level_only`, only those run when it is imported
    (imports inside functions are deferred on purpose and cannot form a load-time circle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also imports under a module-level `if`/`try`
        nodes = [n for top in tree.body for n in ast.walk(top) if not _in_function(top, n)]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _in_function(top: ast.AST, node: ast.AST) -> bool:
    if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    if isinstance(top, ast.ClassDef):
        return any(
            isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and node in ast.walk(item)
            for item in top.body
        )
    return False


def reaches(imported: set[str], prefix: str) -> list[str]:
    return sorted(name for name in imported if name == prefix or name.startswith(prefix + "."))


@pytest.mark.parametrize("name", [n for n in modules() if n.startswith("tofy_core")])
def test_the_engine_never_imports_the_app_or_textual(name):
    imported = imports_of(modules()[name], top_level_only=False)
    assert not reaches(imported, "tofy_tui"), name
    assert not reaches(imported, "textual"), name


@pytest.mark.parametrize("name", [n for n in modules() if n.startswith("tofy_core.data")])
def test_data_never_imports_runs_training_or_the_cli(name):
    imported = imports_of(modules()[name], top_level_only=False)
    for forbidden in ("tofy_core.runs", "tofy_core.train", "tofy_core.cli"):
        assert not reaches(imported, forbidden), (name, forbidden)


FILE_MODULES = (
    "tofy_core.runs",
    "tofy_core.cli",
    "tofy_core.paths",
    "tofy_core.fsutil",
    "tofy_core.data.text",
    "tofy_core.data.hub",
    "tofy_core.data.split",
)


@pytest.mark.parametrize("name", [n for n in modules() if n.startswith("tofy_core.model")])
def test_the_model_knows_nothing_of_files_or_runs(name):
    imported = imports_of(modules()[name], top_level_only=False)
    for forbidden in FILE_MODULES:
        assert not reaches(imported, forbidden), (name, forbidden)


def test_widgets_never_import_screens():
    for name, path in modules().items():
        if name.startswith("tofy_tui.widgets"):
            assert not reaches(imports_of(path, top_level_only=False), "tofy_tui.screens"), name


def test_no_module_level_import_circle():
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        graph[name] = {target for target in imports_of(path, True) if target in known}
        graph[name].discard(name)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            circle = [*visiting[visiting.index(node) :], node]
            pytest.fail("import circle: " + " → ".join(circle))
        visiting.append(node)
        for target in sorted(graph[node]):
            # a package's __init__ importing its own submodules is how packages work
            if not target.startswith(node + "."):
                visit(target)
        visiting.pop()
        done.add(node)

    for name in sorted(graph):
        visit(name)


def test_only_the_entry_point_and_the_apps_child_command_import_the_cli():
    allowed = {"tofy_core.__main__", "tofy_tui.training"}
    for name, path in modules().items():
        if name.startswith("tofy_core.cli") or name in allowed:
            continue
        assert not reaches(imports_of(path, top_level_only=False), "tofy_core.cli"), name
