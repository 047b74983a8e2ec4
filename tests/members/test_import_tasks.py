"""The import task in the scheduler: the job, its wake-up, failures and interruptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import service, tasks
from coopcrm.members.importing.models import ImportTask
from coopcrm.scheduler import runner
from coopcrm.scheduler.registry import load_jobs
from tests import factories
from tests.members.test_import_support import csv_bytes, reference_data, row
from tests.members.test_import_web import members, run_imports


def _task(task_id: int) -> ImportTask:
    db.session.expire_all()
    return db.session.get_one(ImportTask, task_id)


def test_the_job_is_registered_every_minute_with_a_wake_question():
    job = load_jobs().get("members.imports")
    assert job.every == timedelta(minutes=1) and job.wake is not None


def test_the_scheduler_wakes_the_job_when_a_task_waits(app):
    class Scheduler:
        woken: list = []

        def modify_job(self, name, next_run_time):
            self.woken.append(name)

    registry = load_jobs()
    scheduler = Scheduler()
    assert runner.wake_waiting(app, scheduler, registry, set()) == []
    factories.import_task(factories.user())
    assert runner.wake_waiting(app, scheduler, registry, set()) == ["members.imports"]
    # Running already: it takes the waiting task itself before it returns.
    assert runner.wake_waiting(app, scheduler, registry, {"members.imports"}) == []
    assert scheduler.woken == ["members.imports"]


def test_an_unexpected_error_fails_the_task_in_french_and_writes_nothing(monkeypatch):
    reference_data()
    user = factories.user(all_entities=True)
    check_id = factories.import_task(
        user, csv_bytes(row(reference="R1", nom="A", entite="MFLA"))).id
    run_imports()
    write_id = tasks.confirm(_task(check_id), skip_invalid=False).id
    db.session.commit()

    from coopcrm.members.importing import write as writing

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")
    monkeypatch.setattr(writing, "write", broken)
    run_imports()
    failed = _task(write_id)
    assert failed.status == "failed" and "Erreur inattendue" in failed.error_fr
    assert members() == 0


def test_a_task_left_running_by_a_dead_scheduler_is_failed_later():
    task = factories.import_task(factories.user(), status="writing")
    task_id = task.id
    clock.set_now(clock.now() + timedelta(minutes=16))
    result = run_imports()
    assert "1 interrompu(s)" in result.summary
    assert _task(task_id).status == "failed" and "interrompu" in _task(task_id).error_fr


def test_the_upload_is_gone_the_task_says_so():
    user = factories.user()
    task = factories.import_task(user)
    task_id = task.id
    from coopcrm.members.importing import uploads

    uploads.remove(task.token)
    run_imports()
    assert "n'est plus là" in _task(task_id).error_fr


def _watch(monkeypatch, task_id: int, seen: list) -> None:
    """Record, at each progress report of the running task, what the page would poll
    (tasks.state of the task read through another session, as the web process does)."""
    original = tasks.import_members

    def watched(*args, progress, **kwargs):
        def reported(phase, rows):
            progress(phase, rows)
            with Session(db.engine) as other:
                state = tasks.state(other.get_one(ImportTask, task_id))
            seen.append((state["status"], state["rows_written"]))
        return original(*args, progress=reported, **kwargs)
    monkeypatch.setattr(tasks, "import_members", watched)


def _write_task(rows: int) -> int:
    reference_data()
    user = factories.user(all_entities=True)
    check_id = factories.import_task(user, csv_bytes(
        *(row(reference=f"R{i}", nom=f"Nom{i}", entite="MFLA") for i in range(rows)))).id
    run_imports()
    write_id = tasks.confirm(_task(check_id), skip_invalid=False).id
    db.session.commit()
    return write_id


def test_the_written_counter_moves_while_the_task_writes_on_both_databases(monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    write_id = _write_task(5)
    seen: list = []
    _watch(monkeypatch, write_id, seen)
    clock.set_now(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    run_imports()
    assert ("writing", 2) in seen and ("writing", 4) in seen, seen
    assert members() == 5
    done = _task(write_id)
    assert done.status == "done" and done.rows_written == 5
    assert tasks.state(done)["rows_written"] == 5 and done.finished_dt == clock.now()


def test_a_write_failing_in_a_later_batch_leaves_nothing_written(monkeypatch):
    """Reporting progress never commits the members of the batches written so far
    (it did on SQLite: the counters were committed in the import's transaction)."""
    monkeypatch.setattr(service, "BATCH", 2)
    write_id = _write_task(5)
    from coopcrm.members.importing import write as writing

    calls = []
    original = writing.write

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disque plein")
        return original(*args, **kwargs)
    monkeypatch.setattr(writing, "write", second_fails)
    run_imports()
    assert len(calls) == 2 and _task(write_id).status == "failed"
    assert members() == 0


def test_a_noted_progress_is_read_only_while_the_task_runs(app):
    from coopcrm.members.importing import uploads

    task = factories.import_task(factories.user(), status="writing")
    uploads.note(task.token, {"status": "writing", "rows_read": 7, "rows_checked": 7,
                              "rows_written": 3, "updated_dt": clock.now().isoformat()})
    assert tasks.state(task)["rows_written"] == 3 and tasks.state(task)["status"] == "writing"
    task.status = "done"
    assert tasks.state(task)["rows_written"] == 0 and tasks.state(task)["finished"]
    uploads.remove(task.token)
    assert uploads.noted(task.token) is None
