"""Helpers for HTTP tests: CSRF stays on, so posts carry a token read from a page."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import text

from coopcrm.extensions import db

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/connexion") -> str:
    html = client.get(url).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(client, url: str, data=None, token_from: str | None = None, **kw):
    """POST a form the way a browser would, with the page's CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or url))
    return client.post(url, data=data, **kw)


def login(client, user, password: str = PASSWORD):
    return post(client, "/connexion", {"email": user.email, "password": password},
                follow_redirects=True)


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
