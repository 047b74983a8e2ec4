"""A fresh database of its own for tests that run `coopcrm` as subprocesses.

The session database is truncated by the autouse fixture after each test and
holds an app context: a subprocess test works on a throwaway database instead,
a SQLite file in tmp, or (when COOPCRM_TEST_DATABASE_URL is set) a temporary
database on the same PostgreSQL server, dropped after the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.databases import server_url, throwaway_database, with_driver

# Prefixed so that parallel work on the shared server never collides with these.
PG_PREFIX = "h_health_t"


def coopcrm_exe() -> str:
    """The console script, as an operator runs it."""
    return shutil.which("coopcrm") or str(Path(sys.executable).parent / "coopcrm")


def on_postgresql() -> bool:
    return bool(os.environ.get("COOPCRM_TEST_DATABASE_URL"))


@contextmanager
def fresh_database_url(tmp: Path, name: str = "fresh") -> Iterator[str]:
    """The URL of an empty database (driver named), dropped afterwards on PostgreSQL."""
    with throwaway_database(tmp, name, server=server_url(), prefix=PG_PREFIX) as url:
        yield with_driver(url)


def cli_env(url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a `coopcrm` subprocess on that database and instance folder."""
    instance.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPCRM_")}
    env.update(COOPCRM_DATABASE_URL=url, COOPCRM_INSTANCE_PATH=str(instance),
               COOPCRM_SECRET_KEY="test-secret-key-not-for-production", **extra)
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`coopcrm ARGS…` in a subprocess; its output as text."""
    return subprocess.run([coopcrm_exe(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def prepared(env: dict[str, str], *seeds: str) -> None:
    """`coopcrm db upgrade` then `coopcrm seed …` for each seed named, each must succeed."""
    for args in (("db", "upgrade"), *(("seed", *s.split()) for s in seeds)):
        done = run_cli(env, *args)
        assert done.returncode == 0, f"coopcrm {' '.join(args)}: {done.stderr}"
