"""Commands run as a user runs them: the console script in a subprocess.

Nothing here imports coopcrm: `make smoke` runs this folder from a fresh venv
holding only the built wheel (`COOPCRM_BIN` names its console script), with
`--confcutdir` so the suite's own conftest, which pushes an app context, is
not loaded. Each database is fresh: a SQLite file, or a throwaway PostgreSQL
database when COOPCRM_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TIMEOUT = 300


def coopcrm_bin() -> str:
    return os.environ.get("COOPCRM_BIN") or str(Path(sys.executable).parent / "coopcrm")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    server = os.environ.get("COOPCRM_TEST_DATABASE_URL")
    libpq = (server or "").replace("postgresql+psycopg://", "postgresql://")
    made: list[str] = []

    def make() -> str:
        name = "coopcrm_cli_" + uuid.uuid4().hex[:12]
        if not server:
            return "sqlite:///" + str(tmp_path / f"{name}.db")
        import psycopg

        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return urlunsplit(urlsplit(libpq)._replace(path="/" + name))

    yield make
    if made:
        import psycopg

        with psycopg.connect(libpq, autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
