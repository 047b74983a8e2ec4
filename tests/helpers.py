"""Helpers for HTTP tests (CSRF stays on, so posts carry a token read from a page), ports.

Imports nothing of coopcrm: tests/cli uses it from the wheel's venv (`make smoke`).
"""

from __future__ import annotations

import re
import socket

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


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
