"""One row per run of a periodic job, and the leader's heartbeat.

JobRun is what the admin page shows and what `run-due` reads; its claim index
makes "this job as of this `now`" happen once when two processes race.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime

RUN_STATUSES = {"running": "en cours", "ok": "réussie", "error": "erreur"}

# The runs that hold a claim on (name, now): a failed run leaves room for a
# retry at the same `now`, and `jobs run NAME` (origin "manuel") forces a run.
CLAIM_WHERE = "status IN ('running', 'ok') AND origin <> 'manuel'"


class JobRun(IdMixin, Model):
    """A run of a registered job, as of `started_dt` (the `now` it was given)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_name_started_dt", "name", "started_dt"),
        # Two `run-due --now X` (or the scheduler and an operator) started at once:
        # the second insert of the same claim fails, and that process skips the job.
        Index("uq_job_runs_claim", "name", "started_dt", unique=True,
              sqlite_where=text(CLAIM_WHERE), postgresql_where=text(CLAIM_WHERE)),
    )

    name: Mapped[str] = mapped_column(String(100))
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="running")
    # Who ran it: "planificateur" (the long-running process), "run-due" or "manuel".
    origin: Mapped[str] = mapped_column(String(20), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")

    @property
    def status_label(self) -> str:
        return RUN_STATUSES.get(self.status, self.status)


HEARTBEAT_ID = 1  # the table holds one row, upserted by whichever process leads


class SchedulerHeartbeat(Model):
    """The leading scheduler's last sign of life (read by `GET /healthz`)."""

    __tablename__ = "scheduler_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    beat_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    leader_since_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255), default="")
