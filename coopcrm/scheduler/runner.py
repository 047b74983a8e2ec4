"""Running registered jobs: one code path for `jobs run-due` and the `scheduler` process.

`run_job(name, now)` claims the run (a JobRun row), calls the job, commits its
work with the run's outcome, and never lets one job's failure stop the others.
A process that loses the claim to another one on the same `now` skips the job.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.privacy.audit import acting_as
from coopcrm.scheduler.models import JobRun
from coopcrm.scheduler.registry import Job, Registry, load_jobs
from coopcrm.scheduler.services import last_successes, record_heartbeat

log = logging.getLogger("coopcrm.scheduler")

ACTOR = "planificateur"  # the audit trail's name for changes made by jobs
ERROR_MAX_CHARS = 8000
SKIPPED_SUMMARY = "exécutée par un autre processus à cette date"

# APScheduler 3 skips a run more than 1 s late by default: a job held up by a
# long one, or missed while the machine slept, would silently not run. Run it
# however late, once (coalesce); the exactly-once is in each job's tables.
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, usable after its session is gone."""

    name: str
    started_dt: datetime
    status: str
    summary: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def skipped(self) -> bool:
        """Another process claimed this job as of the same `now`: nothing to do here."""
        return self.status == "skipped"

    @property
    def failed(self) -> bool:
        return self.status == "error"


def due_jobs(now: datetime, registry: Registry | None = None) -> list[Job]:
    """The jobs due as of `now`: never succeeded, or interval passed / cron fired since."""
    registry = registry or load_jobs()
    last = last_successes()
    return [job for job in registry.all() if job.is_due(now, last.get(job.name))]


def run_job(name: str, now: datetime, origin: str = "manuel",
            registry: Registry | None = None) -> RunResult:
    """Run one job as of `now` in its own session; record and log the outcome.

    A failing job rolls back its work and is recorded as an error; it does not raise.
    When another process already claimed `name` as of `now` (its run is going or
    succeeded), nothing runs and the result is "skipped".
    """
    job = (registry or load_jobs()).get(name)
    db.session.remove()
    run = JobRun(name=name, started_dt=now, origin=origin, status="running")
    db.session.add(run)
    try:
        db.session.commit()  # the claim; visible as "en cours" while it works
    except IntegrityError:
        # uq_job_runs_claim: the other process's row is committed, so is its claim.
        db.session.rollback()
        db.session.remove()
        log.info("job %s as of %s: claimed by another process, skipped", name, now.isoformat())
        return RunResult(name, now, "skipped", SKIPPED_SUMMARY)
    run_id = run.id
    t0 = time.monotonic()
    try:
        summary = _work(job, now, run_id)
        result = RunResult(name, now, "ok", summary)
        log.info("job %s ok in %.0f ms: %s", name, (time.monotonic() - t0) * 1000, result.summary)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", name)
        error = traceback.format_exc()[-ERROR_MAX_CHARS:]
        run = db.session.get_one(JobRun, run_id)  # claimed above, committed
        run.status, run.error, run.finished_dt = "error", error, clock.now()
        db.session.commit()
        result = RunResult(name, now, "error", error=f"{exc.__class__.__name__}: {exc}")
    finally:
        db.session.remove()
    return result


def _work(job: Job, now: datetime, run_id: int) -> str:
    """Call the job and commit its work with its "ok"; the summary it returned.

    A job that collides on one of its own unique constraints with another
    process (running it as of another `now`) is run once more from scratch:
    jobs select what is still due, so the second pass sees the winner's work.
    """
    for attempt in (1, 2):
        try:
            # Hooks inside SQLAlchemy's flush (defaults, audit) stamp the job's `now` too.
            with acting_as(actor=ACTOR), clock.stamping(now):
                returned = job.func(now)
                summary = "" if returned is None else str(returned)
                run = db.session.get_one(JobRun, run_id)  # committed before the job ran
                run.status, run.summary, run.finished_dt = "ok", summary, clock.now()
                db.session.commit()  # the job's work and its "ok" in one transaction
            return summary
        except IntegrityError:
            if attempt == 2:
                raise
            db.session.rollback()
            log.warning("job %s collided with another process's work: running it again", job.name)
    raise AssertionError("unreachable")


def close_interrupted_runs() -> int:
    """Mark as failed the scheduler's runs left "en cours" by a leader that died.

    Only the leader runs scheduled jobs and it holds the lock until it dies, so
    once this process holds it, no scheduled run can still be going.
    """
    runs = db.session.scalars(select(JobRun).where(JobRun.status == "running",
                                                   JobRun.origin == ACTOR)).all()
    for run in runs:
        run.status, run.finished_dt = "error", clock.now()
        run.error = "Interrompue : le planificateur s'est arrêté pendant cette exécution."
    db.session.commit()
    return len(runs)


def run_due(now: datetime, origin: str = "run-due",
            registry: Registry | None = None) -> list[RunResult]:
    """Run every job due as of `now`, once each, in name order."""
    registry = registry or load_jobs()
    return [run_job(job.name, now, origin, registry) for job in due_jobs(now, registry)]


def build_scheduler(app, registry: Registry | None = None,
                    scheduler_cls: type[BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
    """An APScheduler scheduler (not started) with one trigger per registered job."""
    registry = registry or load_jobs()
    with app.app_context():
        # SQLite has one writer at a time: run jobs one after the other there.
        workers = 1 if db.engine.dialect.name == "sqlite" else 4
    scheduler = scheduler_cls(
        timezone=clock.PARIS,
        job_defaults=dict(JOB_DEFAULTS),
        executors={"default": ThreadPoolExecutor(workers)},
    )
    for job in registry.all():
        scheduler.add_job(_scheduled_run, trigger=job.trigger(), args=(app, job.name, registry),
                          id=job.name, name=job.name)
    return scheduler


def _scheduled_run(app, name: str, registry: Registry) -> None:
    with app.app_context():
        run_job(name, clock.now(), origin=ACTOR, registry=registry)


WAKE_SECONDS = 2.0  # how often a job's `wake` question is asked


def track_running(scheduler: BaseScheduler) -> set[str]:
    """The names of the jobs the scheduler is running now, kept up to date by its events."""
    running: set[str] = set()
    scheduler.add_listener(lambda event: running.add(event.job_id), EVENT_JOB_SUBMITTED)
    scheduler.add_listener(lambda event: running.discard(event.job_id),
                           EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return running


def wake_waiting(app, scheduler: BaseScheduler, registry: Registry,
                 running: set[str]) -> list[str]:
    """Run now each job whose `wake` says work waits (unless it is running: it will see it)."""
    woken = []
    for job in registry.all():
        if job.wake is None or job.name in running:
            continue
        with app.app_context():
            try:
                waiting = job.wake()
            except Exception as exc:
                with suppress(Exception):
                    db.session.rollback()
                log.warning("job %s: wake check failed: %s", job.name, exc.__class__.__name__)
                continue
            finally:
                db.session.remove()
        if waiting:
            scheduler.modify_job(job.name, next_run_time=clock.now().astimezone(clock.PARIS))
            woken.append(job.name)
    return woken


def serve(app, lock, stop: threading.Event, poll_seconds: float = 10.0,
          check_seconds: float = 30.0) -> bool:
    """Wait as a standby until `lock` is ours, then run the jobs until `stop` or the lock is lost.

    The leader records its heartbeat on taking the lead and every `check_seconds`.
    Returns True when stopped, False when the lock was lost (the caller goes back to standby).
    """
    waiting = False
    while not lock.try_acquire():
        if not waiting:
            log.info("scheduler on standby: another process holds the %s", lock)
            waiting = True
        if stop.wait(poll_seconds):
            return True
    log.info("scheduler is the leader (%s)", lock)
    leader_since = clock.now()
    try:
        _beat(app, leader_since)
        # Catch up on whatever fell due while no scheduler ran (triggers only see the future).
        with app.app_context():
            interrupted = close_interrupted_runs()
            if interrupted:
                log.warning("%d run(s) of the previous leader marked interrupted", interrupted)
            for result in run_due(clock.now(), origin=ACTOR):
                if result.failed:
                    log.error("catch-up: job %s failed: %s", result.name, result.error)
        registry = load_jobs()
        scheduler = build_scheduler(app, registry)
        running = track_running(scheduler)
        scheduler.start()
        try:
            next_check = time.monotonic() + check_seconds
            while not stop.wait(min(WAKE_SECONDS, check_seconds)):
                wake_waiting(app, scheduler, registry, running)
                if time.monotonic() < next_check:
                    continue
                next_check = time.monotonic() + check_seconds
                if not lock.still_held():
                    log.error("scheduler lost its lock (%s): stopping, back to standby", lock)
                    return False
                _beat(app, leader_since)
            return True
        finally:
            scheduler.shutdown(wait=True)
    finally:
        lock.release()


def _beat(app, leader_since: datetime) -> None:
    """Record the heartbeat; a database hiccup is logged, never fatal to the leader."""
    with app.app_context():
        try:
            record_heartbeat(leader_since)
        except Exception as exc:
            with suppress(Exception):  # the connection may be gone too
                db.session.rollback()
            log.warning("scheduler heartbeat not recorded: %s", exc.__class__.__name__)
