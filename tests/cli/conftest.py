"""Commands run as a user runs them: the console script in a subprocess.

Nothing here imports coopcrm: `make smoke` runs this folder from a fresh venv
holding only the built wheel (`COOPCRM_BIN` names its console script), with
`--confcutdir` so the suite's own conftest, which pushes an app context, is
not loaded. Each database is fresh: a SQLite file, or a throwaway PostgreSQL
database when COOPCRM_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.databases import Throwaway, server_url

TIMEOUT = 300


def coopcrm_bin() -> str:
    return os.environ.get("COOPCRM_BIN") or str(Path(sys.executable).parent / "coopcrm")


@dataclass
class Installation:
    """One fresh installation: its environment, an empty working folder, a log of commands."""

    env: dict[str, str]
    cwd: Path
    ran: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, *args: str, stdin: str | None = None, ok: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run `coopcrm ARGS`; with ok=True fail the test on a non-zero exit."""
        self.ran.append(tuple(args))
        proc = subprocess.run([coopcrm_bin(), *args], cwd=self.cwd, env={**self.env, **(env or {})},
                              input=stdin, capture_output=True, text=True, timeout=TIMEOUT)
        if ok and proc.returncode != 0:
            pytest.fail(f"coopcrm {' '.join(args)} exited {proc.returncode}\n"
                        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}", pytrace=False)
        return proc

    def start(self, *args: str) -> subprocess.Popen:
        """Start a long-running `coopcrm ARGS` (stop it with .terminate())."""
        self.ran.append(tuple(args))
        return subprocess.Popen([coopcrm_bin(), *args], cwd=self.cwd, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COOPCRM_", "PYTHON", "FLASK_"))}
    env.update(COOPCRM_INSTANCE_PATH=str(tmp / "instance"),
               COOPCRM_SECRET_KEY="cli-tests-secret-key-not-for-production",
               COOPCRM_SMTP_URL="file://" + str(tmp / "mails"))
    return env


@pytest.fixture
def empty_databases(tmp_path):
    """Make COOPCRM_DATABASE_URLs nobody has used yet (dropped afterwards on PostgreSQL)."""
    databases = Throwaway(tmp_path, server_url(), prefix="coopcrm_cli")
    yield lambda: databases.new(uuid.uuid4().hex[:12])
    databases.drop_all()


@pytest.fixture
def fresh_database(empty_databases):
    return empty_databases()


@pytest.fixture
def restored_database(empty_databases):
    """A factory of further empty databases (restore targets)."""
    return empty_databases


@pytest.fixture
def installation(tmp_path, fresh_database):
    """A fresh installation with a database nobody has migrated, run from an empty folder."""
    cwd = tmp_path / "empty"
    cwd.mkdir()
    env = _base_env(tmp_path)
    env["COOPCRM_DATABASE_URL"] = fresh_database
    return Installation(env=env, cwd=cwd)
