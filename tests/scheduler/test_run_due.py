"""`coopcrm jobs run-due [--now]` through the real CLI runner, on the real database."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.models import JobRun
from tests.scheduler.helpers import entity_codes, run_due, runs

JAN_15_9H = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def test_run_due_runs_every_registered_job_once_on_an_empty_database(cli):
    """The real registry (every domain's jobs): each runs once and succeeds with nothing to do."""
    from coopcrm.scheduler.registry import load_jobs

    result = run_due(cli, "--now", "2027-01-15T09:00")
    assert result.exit_code == 0, result.output
    names = sorted(r.name for r in runs())
    assert names == [job.name for job in load_jobs().all()]
    assert all(r.status == "ok" and r.origin == "run-due" for r in runs())


def test_each_due_job_runs_once_and_its_run_is_recorded(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        result = run_due(cli, "--now", "2027-01-15T09:00")
    assert result.exit_code == 0, result.output
    assert "1 tâche(s) due(s)" in result.output and "test.hourly" in result.output
    assert calls == [("hourly", JAN_15_9H, JAN_15_9H)]
    [run] = runs()
    assert (run.name, run.status, run.summary, run.error) == ("test.hourly", "ok", "1", "")
    assert run.started_dt == run.finished_dt == JAN_15_9H
    assert entity_codes() == {"H1"}  # the job's work was committed with its run


def test_running_twice_at_the_same_time_runs_nothing_the_second_time(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        run_due(cli, "--now", "2027-01-15T09:00")
        again = run_due(cli, "--now", "2027-01-15T09:00")
        later = run_due(cli, "--now", "2027-01-15T09:59")
    assert again.exit_code == 0
    assert "0 tâche(s) due(s)" in again.output and "0 tâche(s) due(s)" in later.output
    assert len(calls) == 1 and len(runs()) == 1
    with only_jobs(hourly):
        run_due(cli, "--now", "2027-01-15T10:00")
    assert len(calls) == 2


def test_a_failing_job_is_recorded_and_the_others_still_run(cli, hourly, boom, calls, only_jobs):
    with only_jobs(boom, hourly):
        result = run_due(cli, "--now", "2027-01-15T09:00")
    assert result.exit_code == 1  # an operator's script sees the failure
    assert "ERREUR   test.boom — ValueError: la tâche a échoué exprès" in result.output
    assert [c[0] for c in calls] == ["boom", "hourly"]
    [failed] = runs("test.boom")
    assert failed.status == "error" and failed.finished_dt == JAN_15_9H
    assert "ValueError: la tâche a échoué exprès" in failed.error and "Traceback" in failed.error
    assert runs("test.hourly")[0].status == "ok"
    assert entity_codes() == {"H1"}  # the failed job's write was rolled back, not the other's

    # A failed job stays due: the next pass retries it, the successful one waits its turn.
    with only_jobs(boom, hourly):
        run_due(cli, "--now", "2027-01-15T09:00")
    assert [c[0] for c in calls] == ["boom", "hourly", "boom"]


def test_now_moves_the_clock_only_for_the_run(cli, hourly, calls, only_jobs):
    frozen_by_test = datetime(2026, 5, 1, tzinfo=UTC)
    with only_jobs(hourly):
        clock.set_now(frozen_by_test)
        run_due(cli, "--now", "2020-06-15 10:30")  # past, naive: Paris time (UTC+2 in June)
        assert clock.now() == frozen_by_test

        clock.set_now(None)
        run_due(cli, "--now", "2031-03-01T12:00")  # future
        assert clock._frozen is None
        assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
    past, future = calls
    assert past[1] == past[2] == datetime(2020, 6, 15, 8, 30, tzinfo=UTC)
    assert future[1] == future[2] == datetime(2031, 3, 1, 11, 0, tzinfo=UTC)


def test_a_run_recorded_in_the_future_is_not_due_in_the_past(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        run_due(cli, "--now", "2031-03-01T12:00")
        result = run_due(cli, "--now", "2027-01-15T09:00")
    assert "0 tâche(s) due(s)" in result.output and len(calls) == 1


def test_an_explicit_time_zone_is_kept(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        run_due(cli, "--now", "2027-01-15T09:00+00:00")
    assert calls[0][1] == datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


def test_without_now_the_jobs_run_as_of_the_current_clock(cli, hourly, calls, only_jobs):
    clock.set_now(JAN_15_9H)
    with only_jobs(hourly):
        result = run_due(cli)
    assert result.exit_code == 0
    assert "Au 15/01/2027 09:00" in result.output
    assert calls[0][1] == JAN_15_9H


def test_a_bad_date_is_refused_in_french(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        result = run_due(cli, "--now", "15/01/2027")
    assert result.exit_code == 2
    assert "date invalide « 15/01/2027 »" in result.output
    assert calls == [] and runs() == []


def test_jobs_run_forces_one_job_even_when_not_due(cli, hourly, calls, only_jobs):
    with only_jobs(hourly):
        run_due(cli, "--now", "2027-01-15T09:00")
        result = cli("jobs", "run", "test.hourly", "--now", "2027-01-15T09:00")
        unknown = cli("jobs", "run", "pas.une.tache")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and runs()[-1].origin == "manuel"
    assert unknown.exit_code == 2 and "tâche inconnue « pas.une.tache »" in unknown.output


def test_jobs_list_shows_schedule_last_run_and_status(cli, hourly, boom, only_jobs):
    with only_jobs(boom, hourly):
        before = cli("jobs", "list")
        run_due(cli, "--now", "2027-01-15T09:00")
        clock.set_now(JAN_15_9H + timedelta(minutes=5))
        after = cli("jobs", "list")
    assert before.exit_code == 0
    assert "test.hourly" in before.output and "toutes les heures" in before.output
    assert "jamais exécutée" in before.output
    assert "dernière : 15/01/2027 09:00 réussie — 1" in after.output
    assert "dernière : 15/01/2027 09:00 erreur" in after.output
    assert "prochaine : 15/01/2027 10:00" in after.output
    assert db.session.scalar(select(func.count(JobRun.id))) == 2


def test_a_new_leader_closes_the_runs_its_dead_predecessor_left_running(app):
    from coopcrm.scheduler.runner import ACTOR, close_interrupted_runs

    db.session.add_all([
        JobRun(name="sending.flush", started_dt=JAN_15_9H, status="running", origin=ACTOR),
        JobRun(name="cycle.due", started_dt=JAN_15_9H, status="running", origin="run-due"),
    ])
    db.session.commit()
    assert close_interrupted_runs() == 1
    by_name = {r.name: r for r in runs()}
    assert by_name["sending.flush"].status == "error"
    assert "Interrompue" in by_name["sending.flush"].error
    assert by_name["cycle.due"].status == "running"  # an operator's run may still be going
