"""Letters documents as tasks of the scheduler process: queue, run, store, expire.

A page queues a task (`queue`) for its author; the `letters.documents` job
(letters/jobs.py) lays the PDF out chunk by chunk, writing how far it got where
the page's progress bar polls it (`state`), and stores the finished PDF under
instance/letters/ under a random name; the author downloads it whole
(`stored`) until EXPIRES_AFTER, when the job deletes it. The letters come from
the domain that owns them, registered here by a key (`register_source`): this
module, below campaigns and events, imports neither.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from coopcrm import clock, fr
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.letters import services as paper
from coopcrm.letters.models import LetterTask
from coopcrm.scheduler import tasks as scheduled

log = logging.getLogger("coopcrm.letters")

EXPIRES_AFTER = timedelta(hours=24)  # a finished PDF is kept that long, then deleted
STALE_AFTER = timedelta(minutes=30)  # a running task without progress that long was interrupted
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Source:
    """How a domain gives the letters of one of its objects to a task.

    `letters(source_id, user, now)` returns (title, letters in print order) of those
    `user` may see, or None when the object is gone; `page(source_id)` is the URL of
    the object's page (the task's page links back to it).
    """

    letters: Callable[[int, User, datetime], tuple[str, list[paper.Letter]] | None]
    page: Callable[[int], str]


SOURCES: dict[str, Source] = {}


def register_source(key: str, letters: Callable, page: Callable[[int], str]) -> None:
    """Let tasks of `key` find their letters (the owning domain calls it at import)."""
    SOURCES[key] = Source(letters, page)


def source_page(task: LetterTask) -> str | None:
    """The URL of the page the task's letters come from."""
    source = SOURCES.get(task.source)
    return source.page(task.source_id) if source is not None else None


def folder() -> Path:
    """instance/letters/, created on first use."""
    path = Path(current_app.instance_path) / "letters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path(token: str) -> Path:
    """The stored PDF of a task (which may be gone); a token that is not ours names nothing."""
    if not _TOKEN.match(token or ""):
        return folder() / "missing.pdf"
    return folder() / f"{token}.pdf"


def queue(source: str, source_id: int, kind: str, user, *, entity_id: int | None,
          filename: str) -> LetterTask:
    """Queue a document for `user`; one already waiting or running for the same is reused."""
    if source not in SOURCES:
        raise ValidationFailed({"": "Ces courriers ne peuvent pas être préparés."})
    waiting = db.session.scalar(select(LetterTask).where(
        LetterTask.source == source, LetterTask.source_id == source_id,
        LetterTask.kind == kind, LetterTask.user_id == user.id,
        LetterTask.status.in_(("queued", "running"))).limit(1))
    if waiting is not None:
        return waiting
    task = LetterTask(source=source, source_id=source_id, kind=kind, user_id=user.id,
                      entity_id=entity_id, filename=filename, status="queued")
    db.session.add(task)
    db.session.flush()
    return task


def visible_task(task_id: int, user) -> LetterTask | None:
    """The task if it is `user`'s own (its letters are those its author may see)."""
    task = db.session.get(LetterTask, task_id)
    return task if task is not None and task.user_id == user.id else None


def latest(source: str, source_id: int, user) -> list[LetterTask]:
    """The user's last task of each kind for one source (the source's page lists them)."""
    found: dict[str, LetterTask] = {}
    for task in db.session.scalars(select(LetterTask).where(
            LetterTask.source == source, LetterTask.source_id == source_id,
            LetterTask.user_id == user.id).order_by(LetterTask.id.desc())):
        found.setdefault(task.kind, task)
    return list(found.values())


def state(task: LetterTask) -> dict:
    """What the progress bar polls: status, counters and, once finished, the French result."""
    value = maximum = None
    if task.status == "running" and task.total:
        value, maximum = task.done, task.total
    elif task.finished:
        value = maximum = 1
    return {"status": task.status, "status_fr": task.status_label.capitalize(),
            "finished": task.finished, "done": task.done, "total": task.total,
            "value": value, "max": maximum, "result": task.result_fr, "error": task.error_fr}


def stored(task: LetterTask) -> bytes | None:
    """The finished PDF, whole; None when it is not ready or has expired."""
    if task.status != "done":
        return None
    found = path(task.token)
    return found.read_bytes() if found.exists() else None


def any_queued() -> bool:
    """Whether a task waits (the scheduler wakes the job sooner than its minute)."""
    return db.session.scalar(
        select(LetterTask.id).where(LetterTask.status == "queued").limit(1)) is not None


def run_queued(now: datetime) -> str:
    """Expire old PDFs, fail interrupted tasks, then run every queued task, oldest first."""
    expired, stale = _expire(now), _fail_stale(now)
    done, failed = scheduled.drain(LetterTask, now, "running", run_task)
    return (f"{done} document(s) de courriers préparé(s), {failed} en échec, "
            f"{stale} interrompu(s), {expired} expiré(s)")


def _expire(now: datetime) -> int:
    old = db.session.scalars(select(LetterTask).where(
        LetterTask.status == "done", LetterTask.expires_dt <= now)).all()
    for task in old:
        path(task.token).unlink(missing_ok=True)
        task.status, task.token = "expired", ""
        task.result_fr = "Document expiré : préparez-le à nouveau."
    db.session.commit()
    return len(old)


def _fail_stale(now: datetime) -> int:
    stale = db.session.scalars(select(LetterTask).where(
        LetterTask.status == "running", LetterTask.updated_dt < now - STALE_AFTER)).all()
    for task in stale:
        task.status, task.finished_dt = "failed", now
        task.error_fr = "Préparation interrompue (le planificateur s'est arrêté) : relancez-la."
    db.session.commit()
    return len(stale)


def _progress(task_id: int, now: datetime) -> paper.Progress:
    # Its own connection on PostgreSQL, so the page sees it while the job's session reads;
    # SQLite: the job holds no write, the session commits it.
    separate = db.engine.dialect.name != "sqlite"

    def progress(done: int, total: int) -> None:
        values = {"done": done, "total": total, "updated_dt": now}
        if separate:
            with db.engine.begin() as conn:
                conn.execute(update(LetterTask).where(LetterTask.id == task_id).values(values))
        else:
            db.session.execute(update(LetterTask).where(LetterTask.id == task_id)
                               .values(values))
            db.session.commit()
    return progress


def run_task(task_id: int, now: datetime) -> bool:
    """Lay out one claimed task's PDF as of `now` and store it; False when it failed."""
    task = db.session.get_one(LetterTask, task_id)
    user = db.session.get(User, task.user_id)
    source = SOURCES.get(task.source)
    try:
        found = source.letters(task.source_id, user, now) \
            if source is not None and user is not None and user.active else None
        if found is None:
            raise _Gone()
        title, letters = found
        progress = _progress(task_id, now)
        if task.kind == "labels":
            document = paper.labels_pdf([letter.address for letter in letters], title=title,
                                        progress=progress)
        else:
            document = paper.merged_pdf(letters, title=title, dated=clock.day_of(now),
                                        progress=progress)
        token = secrets.token_urlsafe(24)
        path(token).write_bytes(document)
    except _Gone:
        db.session.rollback()
        return _failed(task_id, now, "Ces courriers ne sont plus accessibles (supprimés ou "
                                     "compte désactivé).")
    except Exception:
        log.exception("letters task %s failed", task_id)
        db.session.rollback()
        return _failed(task_id, now, "Erreur inattendue pendant la préparation du PDF. "
                                     "Réessayez ; si l'erreur revient, prévenez "
                                     "l'administrateur.")
    task = db.session.get_one(LetterTask, task_id)
    db.session.refresh(task)
    n = len(letters)
    what = "étiquette(s)" if task.kind == "labels" else "courrier(s)"
    task.status, task.token, task.title = "done", token, title[:250]
    task.finished_dt, task.expires_dt = now, now + EXPIRES_AFTER
    task.done = task.total = n
    task.result_fr = (f"PDF prêt : {fr.count(n)} {what}, à télécharger jusqu'au "
                      f"{fr.datetime(task.expires_dt)}.")
    db.session.commit()
    return True


class _Gone(Exception):
    pass


def _failed(task_id: int, now: datetime, message: str) -> bool:
    task = db.session.get_one(LetterTask, task_id)
    task.status, task.error_fr, task.finished_dt = "failed", message, now
    db.session.commit()
    return False
