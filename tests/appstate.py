"""State the suite resets between tests: the tables' rows and the request globals.

Apart from tests/helpers.py, which must import nothing of coopcrm (`make smoke`
runs tests/cli against the installed wheel).
"""

from __future__ import annotations

from flask import g
from sqlalchemy import text

from coopcrm.extensions import db


def fresh_request_globals(sender, **_extra):
    """request_started hook: forget the user Flask-Login cached for the previous client."""
    for name in ("_login_user", "csrf_token"):
        g.pop(name, None)


def empty_tables() -> None:
    """Delete every row of every table (ids start again at 1 on PostgreSQL)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
