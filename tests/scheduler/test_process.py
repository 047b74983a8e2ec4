"""The long-running `coopcrm scheduler`: its APScheduler object and its standby/lead loop."""

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.lock import FileLock
from coopcrm.scheduler.models import JobRun
from coopcrm.scheduler.registry import load_jobs
from coopcrm.scheduler.runner import build_scheduler, serve

JAN_15_9H = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def started_paused(app):
    """The scheduler the process runs, started paused: jobs get their real settings, none runs."""
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start(paused=True)
    return scheduler


def test_every_job_runs_however_late_and_only_once_after_a_gap(app):
    scheduler = started_paused(app)
    try:
        jobs = scheduler.get_jobs()
        assert sorted(j.id for j in jobs) == [job.name for job in load_jobs().all()]
        for job in jobs:
            # APScheduler's default (1 s) would silently skip a run missed during downtime.
            assert job.misfire_grace_time is None, job.id
            assert job.coalesce is True, job.id
            assert job.max_instances == 1, job.id
            assert str(job.trigger.timezone) == "Europe/Paris", job.id
    finally:
        scheduler.shutdown(wait=False)


def test_triggers_follow_the_registry(app, hourly, boom, only_jobs):
    with only_jobs(hourly, boom):
        scheduler = started_paused(app)
    try:
        interval, cron = scheduler.get_job("test.hourly"), scheduler.get_job("test.boom")
        assert isinstance(interval.trigger, IntervalTrigger)
        assert interval.trigger.interval == timedelta(hours=1)
        assert isinstance(cron.trigger, CronTrigger)
        assert str(cron.trigger.fields[5]) == "9" and str(cron.trigger.fields[6]) == "0"
    finally:
        scheduler.shutdown(wait=False)


def test_a_scheduled_run_goes_through_the_same_runner(app, hourly, calls, only_jobs):
    clock.set_now(JAN_15_9H)
    with only_jobs(hourly):
        scheduler = started_paused(app)
        try:
            job = scheduler.get_job("test.hourly")
            job.func(*job.args, **job.kwargs)  # what the executor calls when the trigger fires
        finally:
            scheduler.shutdown(wait=False)
    db.session.rollback()
    [run] = db.session.scalars(select(JobRun))
    assert (run.name, run.status, run.origin, run.started_dt) == (
        "test.hourly", "ok", "planificateur", JAN_15_9H)
    assert calls == [("hourly", JAN_15_9H, JAN_15_9H)]


def _poll(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_process_waits_as_standby_then_catches_up_and_stops_cleanly(
        app, hourly, calls, only_jobs, tmp_path):
    path = str(tmp_path / "scheduler.lock")
    leader, standby = FileLock(path), FileLock(path)
    assert leader.try_acquire()
    clock.set_now(JAN_15_9H)
    stop, outcome = threading.Event(), []
    with only_jobs(hourly):
        thread = threading.Thread(target=lambda: outcome.append(
            serve(app, standby, stop, poll_seconds=0.01, check_seconds=0.01)))
        thread.start()
        try:
            time.sleep(0.05)  # a few standby polls
            assert calls == []
            leader.release()  # the leader dies
            _poll(lambda: calls)  # the standby leads and catches up on what is due
        finally:
            stop.set()
            thread.join(timeout=5)
    assert outcome == [True]
    assert calls == [("hourly", JAN_15_9H, JAN_15_9H)]
    assert leader.try_acquire()  # the stopped process let go of the lock
    leader.release()
