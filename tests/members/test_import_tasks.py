"""The import task in the scheduler: the job, its wake-up, failures and interruptions."""

from __future__ import annotations

from datetime import timedelta

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import tasks
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
