"""An import task: one upload checked (or written) by the scheduler process, with its progress.

The web process stores the upload and queues a task; the `members.imports` job
reads, checks and (once the referent confirmed) writes it, updating the
counters the page polls. A "write" task follows the "check" task whose report
the referent read (`check_id`, unique: one confirmation writes once).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm.extensions import Model
from coopcrm.models import TimestampMixin, UTCDateTime, check_in

TASK_STATUSES = {
    "queued": "en attente", "reading": "lecture du fichier", "checking": "vérification",
    "writing": "enregistrement", "done": "terminé", "failed": "échec", "cancelled": "annulé",
}
RUNNING = ("reading", "checking", "writing")
FINISHED = ("done", "failed", "cancelled")
TASK_KINDS = {"check": "vérification", "write": "enregistrement"}


class ImportTask(TimestampMixin, Model):
    """One run of the importer over an uploaded file, for one user."""

    __tablename__ = "import_tasks"
    __table_args__ = (check_in("status", TASK_STATUSES), check_in("kind", TASK_KINDS))

    kind: Mapped[str] = mapped_column(String(10), default="check")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The default entity chosen on the upload form (None: each line names its own).
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    check_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_tasks.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64))  # the upload's file (uploads.py)
    filename: Mapped[str] = mapped_column(String(120))
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    rows_to_write: Mapped[int] = mapped_column(Integer, default=0)
    result_fr: Mapped[str] = mapped_column(Text, default="")  # the French outcome, one line
    error_fr: Mapped[str] = mapped_column(Text, default="")
    # The report (counts, the first problems and warnings), as the report page shows it.
    report: Mapped[dict | None] = mapped_column(JSON)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return TASK_STATUSES.get(self.status, self.status)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
