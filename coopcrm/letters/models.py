"""A letters document (merged PDF or label sheets) prepared by the scheduler process.

A thousand letters take minutes to lay out (bench/bench_letters.py), far too long
for a request: the page queues a LetterTask, the `letters.documents` job lays
the PDF out chunk by chunk (the counters the page's progress bar polls), stores
it under instance/letters/ and the author downloads it whole until it expires.
The task names its source (a campaign, an event…) by a key and an id: the
domain above registers how to find the letters of that source (letters.tasks).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm.extensions import Model
from coopcrm.models import TimestampMixin, UTCDateTime, check_in

LETTER_TASK_STATUSES = {
    "queued": "en attente", "running": "en préparation", "done": "prêt", "failed": "échec",
    "expired": "expiré",
}
FINISHED = ("done", "failed", "expired")
LETTER_TASK_KINDS = {"letters": "courriers", "labels": "étiquettes"}


class LetterTask(TimestampMixin, Model):
    """One PDF of letters or labels for one user, from one source (e.g. campaign 12)."""

    __tablename__ = "letter_tasks"
    __table_args__ = (
        check_in("status", LETTER_TASK_STATUSES),
        check_in("kind", LETTER_TASK_KINDS),
        Index("ix_letter_tasks_source", "source", "source_id", "kind", "user_id"),
    )

    kind: Mapped[str] = mapped_column(String(10), default="letters")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    source: Mapped[str] = mapped_column(String(20))  # a key of letters.tasks.SOURCES
    source_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The source's entity (None: the group's), as the task list is scoped.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(250), default="")
    filename: Mapped[str] = mapped_column(String(120), default="")
    token: Mapped[str] = mapped_column(String(64), default="")  # the stored PDF (tasks.path)
    done: Mapped[int] = mapped_column(Integer, default=0)  # letters (or labels) laid out
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_fr: Mapped[str] = mapped_column(Text, default="")
    error_fr: Mapped[str] = mapped_column(Text, default="")
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def status_label(self) -> str:
        return LETTER_TASK_STATUSES.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return LETTER_TASK_KINDS.get(self.kind, self.kind)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
