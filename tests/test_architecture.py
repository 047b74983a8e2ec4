"""The package layout keeps its shape: no import cycles, no borrowed private names,
template folders named after the blueprints that render them.

Read from the source with `ast`, so every import statement counts, including
the ones inside functions that only hide a cycle from Python's import system.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coopcrm"
TEMPLATES = PACKAGE / "templates"

# Template folders that belong to no blueprint, and why.
SHARED_TEMPLATE_FOLDERS = {
    "privacy": "the audit-trail partials the member page includes (privacy has no pages)",
    "mailcatcher": "the development mail catcher, its own Flask app (mailcatcher/web.py)",
    "letters": "the print templates coopcrm.letters lays out as PDF (events and campaigns "
               "serve them; letters has no pages)",
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding="utf-8"), filename=str(self.path))


def _modules() -> dict[str, Module]:
    """Every module of coopcrm by dotted name (a package by its own name, not `__init__`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path)
    return found


def _base(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module a `from … import` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _owner(name: str, modules: dict[str, Module]) -> str | None:
    """The coopcrm module `name` lives in (`coopcrm.a.b.func` → `coopcrm.a.b`), if any."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def _imported(module: Module, modules: dict[str, Module]) -> set[str]:
    """The coopcrm modules `module` imports, wherever the import statement is."""
    targets: list[str] = []
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, node)
            # `from pkg import sub` imports the submodule; `from mod import name`, the module.
            targets += [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                        for a in node.names]
    owners = {_owner(t, modules) for t in targets if t.split(".")[0] == "coopcrm"}
    return {o for o in owners if o is not None and o != module.name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
    return found


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles_among_coopcrm_modules():
    modules = _modules()
    graph = {name: _imported(module, modules) for name, module in modules.items()}
    assert _cycles(graph) == []


def test_no_module_imports_another_modules_private_names():
    modules = _modules()
    borrowed = set()
    for module in modules.values():
        for node in ast.walk(module.tree()):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        borrowed.add((module.name, _base(module, node), alias.name))
    assert borrowed == set()


def _blueprint_name(tree: ast.Module) -> str | None:
    """The name given to `Blueprint("name", …)` in a route module, if it makes one."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint" \
                and node.args and isinstance(node.args[0], ast.Constant):
            return node.args[0].value
    return None


def _rendered(tree: ast.Module) -> list[str]:
    """The template paths given literally to render_template."""
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "render_template"
            and node.args and isinstance(node.args[0], ast.Constant)]


def test_each_template_folder_is_a_blueprint_or_listed_as_shared(app):
    folders = {p.name for p in TEMPLATES.iterdir() if p.is_dir()}
    assert folders - set(app.blueprints) - set(SHARED_TEMPLATE_FOLDERS) == set()


def test_a_blueprint_renders_the_pages_of_its_own_folder():
    misplaced = []
    for module in _modules().values():
        tree = module.tree()
        name = _blueprint_name(tree)
        if name is None:
            continue
        misplaced += [(module.name, path) for path in _rendered(tree)
                      if "/" in path and not path.startswith(f"{name}/")]
    assert misplaced == []
