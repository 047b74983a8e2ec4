"""One row per run of a periodic job: what the admin page shows and what `run-due` reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm.extensions import db
from coopcrm.models import IdMixin, UTCDateTime

RUN_STATUSES = {"running": "en cours", "ok": "réussie", "error": "erreur"}


class JobRun(IdMixin, db.Model):
    """A run of a registered job, as of `started_dt` (the `now` it was given)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_started_dt", "name", "started_dt"),)

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
