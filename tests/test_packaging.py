"""The wheel carries every package of coopcrm/ and the shipped data folders."""

from __future__ import annotations

import tomllib
from pathlib import Path

from coopcrm import resources

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "coopcrm").rglob("__init__.py")}
    assert found - listed == set()


def test_shipped_folders_are_found_through_the_package():
    assert (resources.folder(resources.EMAILS) / "_layout.mjml").is_file()
    assert (resources.folder(resources.MIGRATIONS) / "env.py").is_file()
    assert resources.seed("colleges.json")
