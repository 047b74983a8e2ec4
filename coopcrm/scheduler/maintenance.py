"""The scheduler's own housekeeping jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, and_, delete, func, select

from coopcrm.extensions import db
from coopcrm.scheduler.models import JobRun
from coopcrm.scheduler.registry import register

RETENTION = timedelta(days=90)


@register("maintenance.prune_job_runs", every=timedelta(days=1),
          description_fr="Efface l'historique du planificateur de plus de 90 jours "
                         "(garde la dernière exécution réussie de chaque tâche).")
def prune_job_runs(now: datetime) -> str:
    """Delete runs older than 90 days, except each job's latest success (what makes it not due)."""
    newest = (
        select(JobRun.name, func.max(JobRun.started_dt).label("started_dt"))
        .where(JobRun.status == "ok")
        .group_by(JobRun.name)
        .subquery()
    )
    keep = select(JobRun.id).join(
        newest, and_(JobRun.name == newest.c.name, JobRun.started_dt == newest.c.started_dt)
    ).where(JobRun.status == "ok")
    result = cast(CursorResult, db.session.execute(
        delete(JobRun).where(JobRun.started_dt < now - RETENTION, JobRun.id.not_in(keep)),
        execution_options={"synchronize_session": False},
    ))
    return f"{result.rowcount} exécution(s) effacée(s)"
