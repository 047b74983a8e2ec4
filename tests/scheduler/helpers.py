"""What the scheduler tests share: `coopcrm jobs run-due` in-process, and what it left."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.members.models import Entity
from coopcrm.scheduler.models import JobRun


def run_due(cli, *args: str):
    """`coopcrm jobs run-due ARGS` as typed by an operator (`cli`: the fixture)."""
    return cli("jobs", "run-due", *args)


def runs(name=None) -> list[JobRun]:
    """The job runs recorded so far (of job `name`), oldest first."""
    db.session.rollback()
    query = select(JobRun).order_by(JobRun.id)
    if name:
        query = query.where(JobRun.name == name)
    return list(db.session.scalars(query))


def entity_codes() -> set[str]:
    """The entities' codes (what the throwaway jobs write), read afresh."""
    db.session.rollback()
    return set(db.session.scalars(select(Entity.code)))
