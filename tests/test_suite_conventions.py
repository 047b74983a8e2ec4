"""The suite keeps its shape: shared fixtures live once, no test reaches into a conftest,
tests/cli stays runnable from the wheel alone, and no test leaks its config into the next.

Read from the source with `ast`, like tests/test_architecture.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SHARED = [TESTS / "conftest.py", *sorted((TESTS / "plugins").glob("*.py"))]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(tree: ast.Module, *, top_level_only: bool = False) -> set[str]:
    """Every module an import statement names (`from a import b`: a, and a.b)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _fixtures(tree: ast.Module) -> set[str]:
    """The names of the functions a module decorates with `pytest.fixture`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if getattr(target, "attr", getattr(target, "id", None)) == "fixture":
                    names.add(node.name)
    return names


def test_no_module_imports_a_conftest():
    """A conftest is pytest's to load: what tests share is a plugin, a factory or a helper."""
    offenders = sorted(
        (str(path.relative_to(ROOT)), module)
        for path in [*TESTS.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
        for module in _imported_modules(_tree(path))
        if module.split(".")[-1] == "conftest")
    assert offenders == []


def test_no_folder_conftest_redefines_a_shared_fixture():
    shared: dict[str, str] = {}
    for path in SHARED:
        for name in _fixtures(_tree(path)):
            assert name not in shared, f"{name} defined in {shared[name]} and {path.name}"
            shared[name] = str(path.relative_to(ROOT))
    redefined = sorted(
        (str(path.relative_to(ROOT)), name, shared[name])
        for path in TESTS.rglob("conftest.py") if path != TESTS / "conftest.py"
        for name in _fixtures(_tree(path)) if name in shared)
    assert redefined == []


def test_the_checker_sees_imports_and_fixtures():
    tree = ast.parse("import tests.events.conftest\n"
                     "from tests.events import conftest\n"
                     "from tests.sending.conftest import smtp_server\n"
                     "@pytest.fixture\ndef a(): pass\n"
                     "@pytest.fixture(autouse=True)\ndef b(): pass\n"
                     "@fixture\ndef c(): pass\n"
                     "def d(): pass\n")
    conftests = {m for m in _imported_modules(tree) if m.split(".")[-1] == "conftest"}
    assert conftests == {"tests.events.conftest", "tests.sending.conftest"}
    assert _fixtures(tree) == {"a", "b", "c"}


def test_tests_cli_imports_no_coopcrm_on_load():
    """`make smoke` runs tests/cli with the checkout on sys.path and only the wheel installed:
    a module-level `import coopcrm` there, or in a tests module it loads, would test the
    checkout instead of the wheel."""
    modules = {_name(path): path for path in TESTS.rglob("*.py")}
    seen: set[str] = set()
    todo = [_name(path) for path in (TESTS / "cli").glob("*.py")]
    loads_coopcrm = []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        imported = _imported_modules(_tree(modules[name]), top_level_only=True)
        loads_coopcrm += sorted({name} if any(m.split(".")[0] == "coopcrm" for m in imported)
                                else set())
        todo += [m for m in imported if m in modules]
    assert loads_coopcrm == []
    assert "tests.databases" in seen and "tests.helpers" in seen  # the walk does follow


# A test may change the app's config without putting it back (test_outbox's MAIL_FROM did):
# the root `_clean` fixture restores it. Two tests, in file order: the second sees the first's
# changes gone. Run alone, the second has nothing to check and passes.

_CHANGED: dict[str, object] = {}


def test_a_test_may_change_the_config(app):
    _CHANGED["MAIL_FROM"] = app.config["MAIL_FROM"]
    _CHANGED["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    app.config["MAIL_FROM"] = "Fuite <fuite@coop.example>"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"]["leaked"] = True
    app.config["A_KEY_NOBODY_HAD"] = 1


def test_the_next_test_gets_the_config_back(app):
    if not _CHANGED:
        return
    assert app.config["MAIL_FROM"] == _CHANGED["MAIL_FROM"]
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == _CHANGED["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "A_KEY_NOBODY_HAD" not in app.config
