"""The benches' throwaway databases: tests/databases.py's, with the URL SQLAlchemy wants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.databases import throwaway_database, with_driver


@contextmanager
def fresh_database(base_url: str | None, tmp: Path, name: str) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a temporary coopcrm_bench_* database
    on the PostgreSQL server `base_url` names (dropped afterwards)."""
    with throwaway_database(tmp, name, server=base_url, prefix="coopcrm_bench") as url:
        yield with_driver(url)
