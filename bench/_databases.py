"""Throwaway databases for benchmarks: a SQLite file, or a temporary PostgreSQL database."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def fresh_database(base_url: str | None, tmp: Path, name: str):
    """A URL to an empty database: a SQLite file, or a temporary PostgreSQL database."""
    if not base_url:
        yield "sqlite:///" + str(tmp / f"{name}.db")
        return
    from sqlalchemy import create_engine, text

    from coopcrm.config import _database_url

    url = _database_url(base_url, "")
    dbname = f"coopcrm_bench_{name}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + dbname
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()
