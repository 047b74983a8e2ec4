"""What the scheduler did and will do: `jobs list`, the admin page, and the leader's heartbeat."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from coopcrm import clock, fr
from coopcrm.extensions import db
from coopcrm.scheduler.models import HEARTBEAT_ID, JobRun, SchedulerHeartbeat
from coopcrm.scheduler.registry import Job, load_jobs


@dataclass
class JobStatus:
    job: Job
    last_run: JobRun | None
    last_ok_dt: datetime | None
    next_due: datetime | None
    now: datetime

    @property
    def is_due(self) -> bool:
        return self.job.is_due(self.now, self.last_ok_dt)

    @property
    def next_due_fr(self) -> str:
        if self.last_ok_dt is None:
            return "dès le prochain passage (jamais réussie)"
        if self.is_due:
            return f"dès le prochain passage (prévue le {fr.datetime(self.next_due)})"
        return fr.datetime(self.next_due)


def last_successes() -> dict[str, datetime]:
    """Each job's latest successful run (its `now`), by job name."""
    rows = db.session.execute(
        select(JobRun.name, func.max(JobRun.started_dt))
        .where(JobRun.status == "ok")
        .group_by(JobRun.name)
    )
    return {name: started for name, started in rows}


def latest_runs() -> dict[str, JobRun]:
    """Each job's most recent run, whatever its outcome."""
    rank = func.row_number().over(partition_by=JobRun.name,
                                  order_by=(JobRun.started_dt.desc(), JobRun.id.desc()))
    ranked = select(JobRun.id, rank.label("rank")).subquery()
    runs = db.session.scalars(
        select(JobRun).join(ranked, ranked.c.id == JobRun.id).where(ranked.c.rank == 1)
    )
    return {run.name: run for run in runs}


def job_overview(now: datetime) -> list[JobStatus]:
    """Every registered job with its last run and when it falls due next."""
    last, ok = latest_runs(), last_successes()
    return [
        JobStatus(job, last.get(job.name), ok.get(job.name), job.next_due(ok.get(job.name)), now)
        for job in load_jobs().all()
    ]


def runs_query(name: str = "", status: str = "") -> Select:
    """The run history, newest first, optionally for one job or one outcome."""
    query = select(JobRun).order_by(JobRun.started_dt.desc(), JobRun.id.desc())
    if name:
        query = query.where(JobRun.name == name)
    if status:
        query = query.where(JobRun.status == status)
    return query


def record_heartbeat(leader_since: datetime, now: datetime | None = None) -> None:
    """Upsert the single heartbeat row as this process (the leader) and commit.

    One row whoever leads: a takeover overwrites the dead leader's beat, and
    the table never grows.
    """
    now = now or clock.now()
    values = {"beat_dt": now, "leader_since_dt": leader_since, "pid": os.getpid(),
              "host": socket.gethostname()[:255]}
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    else:  # pragma: no cover - the app runs on these two only
        raise RuntimeError(f"unsupported database {dialect}")
    stmt = insert(SchedulerHeartbeat).values(id=HEARTBEAT_ID, **values)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
    db.session.commit()


def last_heartbeat() -> datetime | None:
    """When the leading scheduler last said it was alive (None: no scheduler ever led)."""
    return db.session.scalar(
        select(SchedulerHeartbeat.beat_dt).where(SchedulerHeartbeat.id == HEARTBEAT_ID)
    )
