"""Throwaway databases, for tests and benchmarks that need one of their own.

The suite's own database is truncated after every test and holds an app context:
a test that runs `coopcrm` in a subprocess, migrates from scratch or restores a
backup works on a database nobody else uses. That is a SQLite file in a tmp dir,
or, when a PostgreSQL server is named (COOPCRM_TEST_DATABASE_URL for the suite,
COOPCRM_BENCH_DATABASE_URL for bench/), a database created on it and dropped
afterwards, named `<prefix>_<label>_<random>` so parallel runs never collide.

Imports neither coopcrm nor SQLAlchemy at module level: `make smoke` runs
tests/cli with only the built wheel installed, and an import of coopcrm from
here would load the checkout instead of the wheel.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SUITE_SERVER = "COOPCRM_TEST_DATABASE_URL"


def server_url(variable: str = SUITE_SERVER) -> str | None:
    """The PostgreSQL server `variable` names, if it names one."""
    url = os.environ.get(variable, "")
    return url if url.startswith(("postgresql", "postgres:")) else None


def libpq(url: str) -> str:
    """A PostgreSQL URL as libpq (psycopg) reads it: no SQLAlchemy driver in the scheme."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme in ("postgres", "postgresql+psycopg") else url


def with_driver(url: str) -> str:
    """The URL as SQLAlchemy wants it (psycopg named), the way the app's config reads it."""
    from coopcrm.config import _database_url

    return _database_url(url, "")


class Throwaway:
    """Makes empty databases of the engine under test; `drop_all()` drops those it made.

    `new()` returns the URL as an operator writes it (no driver: `with_driver`
    for SQLAlchemy).
    """

    def __init__(self, tmp: Path, server: str | None = None, prefix: str = "coopcrm_tmp"):
        self.tmp = Path(tmp)
        self.server = server
        self.prefix = prefix
        self.created: list[str] = []

    @property
    def engine(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def new(self, label: str) -> str:
        """The URL of a new empty database."""
        if not self.server:
            return "sqlite:///" + str(self.tmp / f"{label}.db")
        name = f"{self.prefix}_{label}_{secrets.token_hex(4)}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return urlunsplit(urlsplit(libpq(self.server))._replace(path="/" + name))

    def drop_all(self) -> None:
        made, self.created = self.created, []
        if made:
            self._admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in made))

    def _admin(self, *statements: str) -> None:
        import psycopg  # a dependency of coopcrm: in the smoke venv too

        assert self.server is not None
        with psycopg.connect(libpq(self.server), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)


@contextmanager
def throwaway_database(tmp: Path, label: str, *, server: str | None = None,
                       prefix: str = "coopcrm_tmp") -> Iterator[str]:
    """The URL of one empty database (see `Throwaway.new`), dropped when the block ends."""
    databases = Throwaway(tmp, server, prefix)
    try:
        yield databases.new(label)
    finally:
        databases.drop_all()
