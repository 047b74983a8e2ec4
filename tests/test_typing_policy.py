"""The type-checking policy `make typecheck` enforces stays in pyproject.toml and the code.

mypy checks every coopcrm module, unannotated bodies included; a module cannot be set
aside with `ignore_errors`, and a `type: ignore` names its error code and says why.
"""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z0-9-]+(?:,\s*[a-z0-9-]+)*\])?(?P<rest>.*)")


def _mypy() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mypy"]


def test_unannotated_bodies_are_checked():
    assert _mypy()["check_untyped_defs"] is True


def test_no_module_has_its_errors_ignored():
    overrides = _mypy().get("overrides", [])
    assert [o["module"] for o in overrides if o.get("ignore_errors")] == []
    # What may stay: libraries without types, never our own modules.
    for override in overrides:
        modules = override["module"]
        for module in [modules] if isinstance(modules, str) else modules:
            assert not module.startswith("coopcrm"), override


def test_every_type_ignore_names_its_code_and_says_why():
    bare = []
    for path in sorted((ROOT / "coopcrm").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            found = IGNORE.search(line)
            if found is None:
                continue
            # The reason is a comment on the same line or on the line just above.
            said = "#" in found["rest"] or lines[number - 2].lstrip().startswith("#")
            if not found["code"] or not said:
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == []
