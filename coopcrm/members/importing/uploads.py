"""Where an uploaded member file waits between its report and its confirmation.

The file waits in instance/imports/ under a random name kept in the user's
session, so the import written on confirmation is exactly the file whose
report the referent read; it is deleted once imported or cancelled, and a
day after it was abandoned.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app, session
from flask_login import current_user

SESSION_KEY = "pending_import"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ABANDONED_AFTER_S = 24 * 3600


def folder() -> Path:
    """instance/imports/, created on first use."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(data: bytes, filename: str, entity_code: str | None) -> None:
    """Store the uploaded file as this session's pending import (for this user only)."""
    token = secrets.token_urlsafe(24)
    (folder() / f"{token}.upload").write_bytes(data)
    session[SESSION_KEY] = {"token": token, "filename": filename, "entity": entity_code,
                            "user_id": current_user.id}


def pending() -> tuple[dict, Path] | None:
    """The upload waiting in this session, if its file is still there."""
    found = session.get(SESSION_KEY)
    if not found or not _TOKEN.match(found.get("token", "")) \
            or found.get("user_id") != current_user.id:
        return None
    path = folder() / f"{found['token']}.upload"
    return (found, path) if path.exists() else None


def discard() -> None:
    """Forget this session's pending upload and delete its file."""
    found = pending()
    if found:
        found[1].unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


def sweep() -> None:
    """Remove uploads abandoned for a day (a closed tab never confirms nor cancels)."""
    limit = time.time() - ABANDONED_AFTER_S
    for path in folder().glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass
