"""One run per job and `now`: the claim in job_runs, and a job losing a race on its own table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopcrm.extensions import db
from coopcrm.members.models import Entity
from coopcrm.scheduler.models import JobRun
from coopcrm.scheduler.registry import Job
from coopcrm.scheduler.runner import ACTOR, SKIPPED_SUMMARY, run_job
from tests.scheduler.helpers import entity_codes, run_due, runs

JAN_15_9H = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def existing_run(status: str, origin: str = "run-due", at: datetime = JAN_15_9H) -> None:
    """What another process left in job_runs (committed, as a real one would be)."""
    db.session.add(JobRun(name="test.hourly", started_dt=at, status=status, origin=origin))
    db.session.commit()


@pytest.mark.parametrize("status, origin", [("running", "run-due"), ("ok", "run-due"),
                                            ("running", ACTOR), ("ok", ACTOR)])
def test_a_job_claimed_by_another_process_at_that_date_is_skipped(
        app, hourly, calls, only_jobs, status, origin):
    existing_run(status, origin)
    with only_jobs(hourly):
        result = run_job("test.hourly", JAN_15_9H, origin="run-due")
    assert (result.status, result.summary, result.ok, result.failed) == (
        "skipped", SKIPPED_SUMMARY, False, False)
    assert calls == [] and len(runs()) == 1 and entity_codes() == set()


@pytest.mark.parametrize("status, origin", [("error", "run-due"), ("ok", "manuel")])
def test_a_failed_or_forced_run_does_not_claim_the_date(app, hourly, calls, only_jobs,
                                                        status, origin):
    existing_run(status, origin)
    with only_jobs(hourly):
        result = run_job("test.hourly", JAN_15_9H, origin="run-due")
    assert result.ok and len(calls) == 1 and entity_codes() == {"H1"}


def test_the_claim_is_per_date(app, hourly, calls, only_jobs):
    existing_run("running", at=JAN_15_9H - timedelta(minutes=1))
    with only_jobs(hourly):
        assert run_job("test.hourly", JAN_15_9H, origin="run-due").ok


def test_run_due_reports_the_skip_in_french_and_exits_0(cli, hourly, calls, only_jobs):
    existing_run("running")  # another run-due is working on it right now
    with only_jobs(hourly):
        result = run_due(cli, "--now", "2027-01-15T09:00")
    assert result.exit_code == 0, result.output
    assert ("  déjà faite  test.hourly — exécutée par un autre processus à cette date"
            in result.output)
    assert "Traceback" not in result.output and calls == []


def test_a_job_that_loses_a_race_on_its_own_table_runs_again_and_sees_the_winner(
        app, calls, only_jobs):
    """Another process (another `now`) commits the same row between our select and insert."""

    def create_once(now):
        calls.append(now)
        if db.session.scalar(select(Entity.id).where(Entity.code == "ONCE")) is not None:
            return "déjà là"
        if len(calls) == 1:
            with Session(db.engine) as other:  # a second connection: the other process
                other.add(Entity(code="ONCE", name="l'autre"))
                other.commit()
        db.session.add(Entity(code="ONCE", name="la nôtre"))
        db.session.flush()
        return "créée"

    job = Job("test.once", create_once, every=timedelta(hours=1))
    with only_jobs(job):
        result = run_job("test.once", JAN_15_9H, origin="run-due")
    assert result.ok and result.summary == "déjà là" and len(calls) == 2
    assert entity_codes() == {"ONCE"}
    [run] = runs()
    assert (run.status, run.summary) == ("ok", "déjà là")


def test_a_job_failing_on_its_own_table_twice_is_an_error(app, calls, only_jobs):
    db.session.add(Entity(code="DUP", name="déjà là"))
    db.session.commit()

    def always_duplicate(now):
        calls.append(now)
        db.session.add(Entity(code="DUP", name="doublon"))
        db.session.flush()

    with only_jobs(Job("test.dup", always_duplicate, every=timedelta(hours=1))):
        result = run_job("test.dup", JAN_15_9H, origin="run-due")
    assert result.failed and "IntegrityError" in result.error and len(calls) == 2
    assert runs()[0].status == "error"
