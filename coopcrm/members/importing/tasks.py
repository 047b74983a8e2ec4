"""Import tasks: the web process queues them, the scheduler process runs them.

The upload page stores the file and queues a "check" task; the
`members.imports` job (jobs.py) reads and checks it as a dry run, keeping the
counters the page's progress bar polls and then the report. Once the referent
confirms, a "write" task imports the same file, and its "done" is committed
with the members it wrote: a task found running after a crash wrote nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from coopcrm import clock, fr
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.importing import uploads
from coopcrm.members.importing.models import RUNNING, TASK_STATUSES, ImportTask
from coopcrm.members.importing.report import ImportReport, Problem
from coopcrm.members.importing.service import import_members
from coopcrm.members.models import Entity
from coopcrm.scheduler import tasks as scheduled

log = logging.getLogger("coopcrm.imports")

SHOWN = 1000  # problems and warnings kept for the report page
STALE_AFTER = timedelta(minutes=15)  # a running task without progress that long was interrupted
_COUNTERS = {"reading": "rows_read", "checking": "rows_checked", "writing": "rows_written"}


def queue_check(user, stored: Path, filename: str, entity: Entity | None) -> ImportTask:
    """Queue the check of a stored upload (uploads.store) for `user`."""
    task = ImportTask(kind="check", status="queued", user_id=user.id,
                      entity_id=entity.id if entity else None, token=stored.stem,
                      filename=filename)
    db.session.add(task)
    db.session.flush()
    return task


def confirm(check: ImportTask, skip_invalid: bool) -> ImportTask:
    """Queue the writing of a checked upload; confirming twice gives the same task."""
    existing = db.session.scalar(select(ImportTask).where(ImportTask.check_id == check.id))
    if existing is not None:
        return existing
    if check.kind != "check" or check.status != "done" or not uploads.path(check.token).exists():
        raise ValidationFailed({"": "Aucun import en attente (déjà importé, annulé ou expiré) : "
                                    "déposez à nouveau le fichier."})
    task = ImportTask(kind="write", status="queued", user_id=check.user_id,
                      entity_id=check.entity_id, check_id=check.id, token=check.token,
                      filename=check.filename, skip_invalid=skip_invalid,
                      rows_to_write=(check.report or {}).get("to_write", 0))
    db.session.add(task)
    db.session.flush()
    return task


def cancel(task: ImportTask) -> None:
    """Give up a checked (or still queued) upload: its file goes, nothing is written."""
    if task.status not in ("queued", "done") or task.kind != "check" or _followed(task):
        raise ValidationFailed({"": "Cet import ne peut plus être annulé."})
    task.status, task.finished_dt = "cancelled", clock.now()
    task.result_fr = "Import annulé : rien n'a été enregistré."
    uploads.remove(task.token)


def _followed(task: ImportTask) -> bool:
    return db.session.scalar(select(ImportTask.id).where(ImportTask.check_id == task.id)) \
        is not None


def visible_task(task_id: int, user) -> ImportTask | None:
    """The task if it is `user`'s own (an upload is its author's only), else None."""
    task = db.session.get(ImportTask, task_id)
    return task if task is not None and task.user_id == user.id else None


def state(task: ImportTask) -> dict:
    """What the progress bar polls: status, counters, and once finished the French result."""
    now: dict[str, Any] = {"status": task.status, "rows_read": task.rows_read,
                           "rows_checked": task.rows_checked, "rows_written": task.rows_written}
    if task.status in RUNNING:  # a write task on SQLite notes its progress beside its file
        noted = uploads.noted(task.token)
        if noted is not None and noted.get("status") in RUNNING:
            now.update({k: noted[k] for k in now})
    status = now["status"]
    value = maximum = None
    if status == "checking":
        value, maximum = now["rows_checked"], now["rows_read"]
    elif status == "writing":
        value, maximum = now["rows_written"], max(task.rows_to_write, now["rows_written"])
    elif task.finished:
        value = maximum = 1
    return {**now, "status_fr": TASK_STATUSES.get(status, status).capitalize(),
            "finished": task.finished, "value": value, "max": maximum,
            "result": task.result_fr, "error": task.error_fr}


def any_queued() -> bool:
    """Whether a task waits (the scheduler wakes the job sooner than its minute)."""
    return db.session.scalar(
        select(ImportTask.id).where(ImportTask.status == "queued").limit(1)) is not None


def run_queued(now: datetime) -> str:
    """Run every queued task, oldest first; fail those interrupted by a crash."""
    stale = _fail_stale(now)
    done, failed = scheduled.drain(ImportTask, now, "reading", run_task)
    return f"{done} import(s) traité(s), {failed} en échec, {stale} interrompu(s)"


def _fail_stale(now: datetime) -> int:
    stale = db.session.scalars(select(ImportTask).where(
        ImportTask.status.in_(RUNNING), ImportTask.updated_dt < now - STALE_AFTER)).all()
    for task in stale:
        task.status, task.finished_dt = "failed", now
        task.error_fr = ("Import interrompu (le planificateur s'est arrêté) : rien n'a été "
                         "enregistré. Déposez à nouveau le fichier.")
    db.session.commit()
    return len(stale)


def run_task(task_id: int, now: datetime) -> bool:
    """Run one claimed task to its end as of `now`; False when it failed (recorded on it)."""
    task = db.session.get_one(ImportTask, task_id)
    user = db.session.get(User, task.user_id)
    entity = db.session.get(Entity, task.entity_id) if task.entity_id else None
    path = uploads.path(task.token)
    writing = task.kind == "write"
    # Progress goes through its own connection, so the page sees it while the import's
    # transaction is open. SQLite has one writer, which a writing import holds from its
    # first batch to its commit: there a write task notes its progress beside its file
    # (committing it in the import's transaction would commit the members written so far).
    separate = db.engine.dialect.name != "sqlite"
    counters = {"rows_read": 0, "rows_checked": 0, "rows_written": 0}

    def progress(phase: str, rows: int) -> None:
        # The job's now: a running task is stale once a later run's now is 15 min past it.
        values = {"status": phase, _COUNTERS[phase]: rows, "updated_dt": now}
        if separate:
            with db.engine.begin() as conn:
                conn.execute(update(ImportTask).where(ImportTask.id == task_id).values(values))
        elif writing:
            counters[_COUNTERS[phase]] = rows
            uploads.note(task.token, {"status": phase, **counters,
                                      "updated_dt": now.isoformat()})
        else:  # a check writes nothing: its session has only the counters to commit
            db.session.execute(update(ImportTask).where(ImportTask.id == task_id)
                               .values(values))
            db.session.commit()

    def finish(report: ImportReport) -> None:  # inside the import's transaction
        _record(task_id, report, writing, now)

    try:
        if user is None or not user.active or not path.exists():
            raise _Gone()
        report = import_members(path, task.filename, user=user,
                                entity_code=entity.code if entity else None,
                                dry_run=not writing, skip_invalid=task.skip_invalid,
                                progress=progress, finish=finish if writing else None,
                                now=now)
        if not report.written:
            _record(task_id, report, writing, now)
            db.session.commit()
    except _Gone:
        db.session.rollback()
        _failed(task_id, now, "Le fichier déposé n'est plus là (import expiré ou compte "
                              "désactivé) : déposez-le à nouveau.")
        return False
    except Exception:
        log.exception("import task %s failed", task_id)
        db.session.rollback()
        _failed(task_id, now, "Erreur inattendue pendant l'import : rien n'a été enregistré. "
                              "Réessayez ; si l'erreur revient, transmettez le fichier à "
                              "l'administrateur.")
        return False
    if writing and report.written:
        uploads.remove(task.token)
    return not db.session.get_one(ImportTask, task_id).status == "failed"


class _Gone(Exception):
    pass


def _failed(task_id: int, now: datetime, message: str) -> None:
    task = db.session.get_one(ImportTask, task_id)
    task.status, task.error_fr, task.finished_dt = "failed", message, now
    db.session.commit()


def _record(task_id: int, report: ImportReport, writing: bool, now: datetime) -> None:
    """The task's outcome from its report, in the session's transaction (not committed)."""
    task = db.session.get_one(ImportTask, task_id)
    db.session.refresh(task)  # the counters written through the other connection
    task.report = saved(report)
    task.rows_read = report.rows
    task.finished_dt = now
    if report.file_problem:
        task.status = "failed"
        task.error_fr = "Ce fichier ne peut pas être importé : " + report.problems[0].message
    elif writing and not report.written:
        task.status = "failed"
        task.error_fr = ("Rien n'a été enregistré : l'import trouve maintenant des lignes en "
                         "erreur (les coopérateurs ont changé depuis la vérification).")
    else:
        task.status = "done"
        task.rows_checked = report.rows
        if writing:
            task.rows_written = report.created + report.updated
            task.result_fr = (f"Import enregistré : {fr.count(report.created)} coopérateur(s) "
                              f"créé(s), {fr.count(report.updated)} mis à jour, "
                              f"{fr.count(report.unchanged)} inchangé(s)")
            if report.invalid:
                task.result_fr += f", {fr.count(report.invalid)} ligne(s) invalide(s) ignorée(s)"
            task.result_fr += "."
        else:
            task.result_fr = (f"Vérification terminée : {fr.count(report.rows)} ligne(s) lue(s), "
                              f"{fr.count(report.created)} à créer, "
                              f"{fr.count(report.updated)} à mettre à jour, "
                              f"{fr.count(report.unchanged)} inchangé(s), "
                              f"{fr.count(report.invalid)} invalide(s). "
                              "Rien n'a encore été enregistré.")


def saved(report: ImportReport) -> dict:
    """The report as the task keeps it (JSON): counts, and the first problems and warnings."""
    def lines(problems: list[Problem]) -> list[list]:
        return [[p.line, p.column, p.message] for p in problems[:SHOWN]]
    return {
        "filename": report.filename, "rows": report.rows, "created": report.created,
        "updated": report.updated, "unchanged": report.unchanged, "invalid": report.invalid,
        "skip_invalid": report.skip_invalid, "written": report.written,
        "to_write": report.created + report.updated,
        "ignored_columns": report.ignored_columns[:SHOWN],
        "problems": lines(report.problems), "problems_total": len(report.problems),
        "warnings": lines(report.warnings), "warnings_total": len(report.warnings),
    }


def shown(task: ImportTask) -> ImportReport | None:
    """The task's saved report as the report templates read it."""
    data = task.report
    if not data:
        return None
    report = ImportReport(data["filename"], skip_invalid=data["skip_invalid"],
                          rows=data["rows"], created=data["created"], updated=data["updated"],
                          unchanged=data["unchanged"], invalid=data["invalid"],
                          problems=[Problem(*p) for p in data["problems"]],
                          warnings=[Problem(*p) for p in data["warnings"]],
                          ignored_columns=data["ignored_columns"], written=data["written"])
    report.problems_total = data["problems_total"]
    report.warnings_total = data["warnings_total"]
    return report


def follow_up(check: ImportTask) -> ImportTask | None:
    """The write task queued from this check, if it was confirmed."""
    return db.session.scalar(select(ImportTask).where(ImportTask.check_id == check.id))


def check_of(task: ImportTask) -> ImportTask | None:
    """The check a write task follows."""
    return db.session.get(ImportTask, task.check_id) if task.check_id else None
