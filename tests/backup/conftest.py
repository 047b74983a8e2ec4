"""Fresh databases and the `coopcrm` console script, for backup/restore run as a user runs it.

Each database is a SQLite file in a tmp dir, or, when COOPCRM_TEST_DATABASE_URL
names a PostgreSQL server, a throwaway database on it (dropped afterwards):
never the suite's own database, which the autouse fixture truncates.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from coopcrm.config import _database_url

COOPCRM = shutil.which("coopcrm") or str(Path(sys.executable).parent / "coopcrm")


def server_url() -> str | None:
    """The PostgreSQL server the suite runs against, if any."""
    url = os.environ.get("COOPCRM_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres:")) else None


class Databases:
    """Creates empty databases of the engine under test; drops them at the end."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.server = server_url()
        self.created: list[str] = []

    @property
    def engine(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def new(self, label: str) -> str:
        """The URL (as an operator writes it, no driver) of a new empty database."""
        if not self.server:
            return "sqlite:///" + str(self.tmp / f"{label}.db")
        name = f"h_backup_{label}_{secrets.token_hex(4)}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def _admin(self, *statements: str) -> None:
        engine = create_engine(_database_url(self.server, ""), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def drop_all(self) -> None:
        if self.created:
            self._admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                          for name in self.created))


@pytest.fixture
def databases(tmp_path):
    dbs = Databases(tmp_path)
    yield dbs
    dbs.drop_all()


def run(url: str, *args: str, tmp: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`coopcrm ARGS…` in a subprocess against the database at `url`."""
    instance = tmp / "instance"
    instance.mkdir(exist_ok=True)
    full_env = dict(os.environ, COOPCRM_DATABASE_URL=url, COOPCRM_INSTANCE_PATH=str(instance),
                    COOPCRM_SECRET_KEY="backup-test-secret-key")
    full_env.update(env or {})
    return subprocess.run([COOPCRM, *args], env=full_env, capture_output=True, text=True,
                          timeout=300)


def assert_refused(result: subprocess.CompletedProcess, words: str) -> None:
    """One French line on stderr, no traceback, a non-zero exit."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and words in lines[0], result.stderr
