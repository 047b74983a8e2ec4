"""Every distribution the code imports is declared in pyproject.toml, with bounds.

An import that only works because some other package happens to pull its
distribution in breaks the day that package drops it; a missing `tzdata`
breaks Europe/Paris on a machine without the OS zone database. Both are
invisible on a developer's machine, hence these checks.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"coopcrm", "tests", "bench"}
# Declared for what they bring without being imported: tzdata is read by zoneinfo itself.
NOT_IMPORTED = {"tzdata"}
# Calendar-versioned: a newer zone database is always the better one, so no upper bound.
UNCAPPED = {"tzdata"}


def _canonical(name: str) -> str:
    """PEP 503 form: `Flask_SQLAlchemy` and `flask-sqlalchemy` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unreadable requirement {requirement!r}"
    return _canonical(match.group(1))


def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _declared(*extras: str) -> dict[str, str]:
    """Canonical name -> requirement string, for `dependencies` plus the given extras."""
    project = _project()
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {_requirement_name(r): r for r in requirements}


def _literal_module(call: ast.Call) -> str | None:
    """The module named by `importlib.import_module("x")` or `pytest.importorskip("x")`."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "importorskip") or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _third_party_imports(*folders: str) -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it, under the given folders."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Call) and _literal_module(node):
                    modules = [_literal_module(node)]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY:
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _undeclared(imports: dict[str, set[str]], declared: dict[str, str]) -> list[str]:
    providers = packages_distributions()
    problems = []
    for module, files in sorted(imports.items()):
        distributions = {_canonical(d) for d in providers.get(module, [])}
        where = ", ".join(sorted(files)[:3])
        if not distributions:
            problems.append(f"{module}: no installed distribution provides it ({where})")
        elif not distributions & declared.keys():
            problems.append(f"{module}: from {sorted(distributions)}, not declared ({where})")
    return problems


def test_every_distribution_the_app_imports_is_a_declared_dependency():
    imports = _third_party_imports("coopcrm", "migrations")
    # The walk itself must see the code, or an empty result would pass for a clean one.
    assert {"flask", "sqlalchemy", "alembic", "click"} <= imports.keys()
    assert _undeclared(imports, _declared()) == []


def test_what_tests_and_benchmarks_import_is_declared_for_them():
    imports = _third_party_imports("tests", "bench")
    assert {"pytest", "playwright"} <= imports.keys()
    assert _undeclared(imports, _declared("test")) == []


def test_test_only_distributions_stay_out_of_the_runtime_dependencies():
    runtime = _declared()
    assert "pytest" not in runtime
    assert "playwright" not in runtime


def test_tzdata_is_declared_so_europe_paris_loads_without_an_os_zone_database():
    assert "tzdata" in _declared()
    # An empty PYTHONTZPATH hides /usr/share/zoneinfo, as on a machine without it:
    # coopcrm.clock must still build Europe/Paris, from the tzdata package alone.
    probe = (
        "import datetime, zoneinfo\n"
        "assert zoneinfo.TZPATH == ()\n"
        "from coopcrm.clock import PARIS\n"
        "print(datetime.datetime(2026, 7, 1, 12, tzinfo=PARIS).utcoffset(),\n"
        "      datetime.datetime(2026, 1, 1, 12, tzinfo=PARIS).utcoffset())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONTZPATH": ""}, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2:00:00", "1:00:00"]


def test_every_runtime_dependency_is_used_and_bounded_both_ways():
    providers = packages_distributions()
    imported = {
        _canonical(distribution)
        for module in _third_party_imports("coopcrm", "migrations")
        for distribution in providers.get(module, [])
    }
    for name, requirement in _declared().items():
        assert name in imported or name in NOT_IMPORTED, f"{requirement}: nothing imports it"
        assert ">=" in requirement, f"{requirement}: no lower bound"
        if name not in UNCAPPED:
            assert re.search(r"<(?!=)", requirement), f"{requirement}: no upper bound"
