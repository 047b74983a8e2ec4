"""Where an uploaded member file waits while its import task runs and until it is confirmed.

The file waits in instance/imports/ under a random name kept on its import
task, so the import written on confirmation is exactly the file whose report
the referent read; it is deleted once imported or cancelled, and a day after
it was abandoned. The web process only writes it to disk (streamed, never
read whole): the scheduler process reads it.

Beside it, on SQLite, a task writing the file notes its progress (`note`):
SQLite has one writer, the import's transaction holds it until the end, so
the counters the page polls cannot be committed to the task meanwhile.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import IO

from flask import current_app

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ABANDONED_AFTER_S = 24 * 3600
_CHUNK = 1024 * 1024


def folder() -> Path:
    """instance/imports/, created on first use."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(stream: IO[bytes]) -> Path:
    """Copy an upload to its file, a chunk at a time; its path (whose stem is its token)."""
    path = folder() / f"{secrets.token_urlsafe(24)}.upload"
    with path.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
    return path


def path(token: str) -> Path:
    """The file of an upload (which may be gone); a token that is not ours names nothing."""
    if not _TOKEN.match(token or ""):
        return folder() / "missing.upload"
    return folder() / f"{token}.upload"


def remove(token: str) -> None:
    """Delete an upload's file (and its noted progress)."""
    path(token).unlink(missing_ok=True)
    path(token).with_suffix(".progress").unlink(missing_ok=True)


def note(token: str, progress: dict) -> None:
    """Note a running task's progress (JSON values) beside its upload, replaced whole:
    a reader sees the previous note or this one, never half of one."""
    target = path(token).with_suffix(".progress")
    fresh = target.with_suffix(".progress-new")
    fresh.write_text(json.dumps(progress))
    os.replace(fresh, target)


def noted(token: str) -> dict | None:
    """The progress last noted for an upload's task, if any."""
    try:
        return json.loads(path(token).with_suffix(".progress").read_text())
    except (FileNotFoundError, ValueError):
        return None


def sweep() -> None:
    """Remove uploads abandoned for a day (a closed tab never confirms nor cancels)."""
    limit = time.time() - ABANDONED_AFTER_S
    for found in folder().glob("*.*"):
        if found.suffix in (".upload", ".progress", ".progress-new"):
            try:
                if found.stat().st_mtime < limit:
                    found.unlink()
            except FileNotFoundError:
                pass
