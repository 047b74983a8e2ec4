"""The data shipped inside the package: email templates, seeds, migrations, auth lists.

In the repository they live at the top (`emails/`, `seeds/`, `migrations/`);
pyproject.toml maps them to `coopcrm.emails`, `coopcrm.seeds` and
`coopcrm.migrations`, so an installed wheel carries them and an editable
install finds them where they are. Data of a code package (the common-password
list of coopcrm.auth) sits beside its code as package data. Code reaches all of
it only through here.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

EMAILS = "coopcrm.emails"
SEEDS = "coopcrm.seeds"
MIGRATIONS = "coopcrm.migrations"
AUTH = "coopcrm.auth"


def folder(package: str) -> Path:
    """The shipped folder `package` as a filesystem path (Alembic and glob need one).

    Wheels are installed unzipped, so the traversable is a real directory; a
    zipped install would be refused here rather than half-work later.
    """
    path = Path(str(resources.files(package)))
    if not path.is_dir():
        raise RuntimeError(f"{package} n'est pas un dossier sur disque ({path}) : "
                           "installez CoopCRM sans compression (pip install).")
    return path


def seed(name: str) -> Any:
    """The parsed JSON seed file `name` (e.g. "colleges.json")."""
    return json.loads(resources.files(SEEDS).joinpath(name).read_text(encoding="utf-8"))


def text(package: str, name: str) -> str:
    """The shipped UTF-8 text file `name` (a path inside `package`)."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")
