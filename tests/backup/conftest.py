"""Fresh databases for backup/restore run as a user runs it (tests/backup/helpers.py runs it).

Each database is a SQLite file in a tmp dir, or, when COOPCRM_TEST_DATABASE_URL
names a PostgreSQL server, a throwaway database on it (dropped afterwards):
never the suite's own database, which the autouse fixture truncates.
"""

from __future__ import annotations

import pytest

from tests.databases import Throwaway, server_url


@pytest.fixture
def databases(tmp_path):
    """`databases.new(label)`: the URL of an empty database of the engine under test."""
    dbs = Throwaway(tmp_path, server_url(), prefix="h_backup")
    yield dbs
    dbs.drop_all()
