"""Newsletter issues (N°1–N°3, standing content), yearly editions, and who got which.

An issue is the recurring slot (N°1 each 15 January); an edition is one
issue in one year, with its own content and its own send time. A receipt is
the decision taken for one member and one edition, 'sent' or 'missed'; its
primary key is what makes "at most once per member and edition" hold, even
with two schedulers running at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm.extensions import Model
from coopcrm.members.models import EntityOwned
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in

if TYPE_CHECKING:
    from coopcrm.auth.models import User

# An edition's state before it goes out (then frozen_dt and closed_dt tell the rest).
EDITION_STATUSES = {"draft": "Brouillon", "approved": "Approuvée"}
# The content fields an issue (standing content) and an edition (its yearly copy) share.
CONTENT_FIELDS = ("title", "teaser", "intro_html", "sections", "image_url", "ctas", "body")


class _Content:
    """Title, teaser (preheader) and the body: a block document, or the fields before it.

    `body` is the block editor's document (coopcrm.blocks.document); when it is
    None the body is the content written before the block editor, which still
    renders as it did: an introduction, `sections` (a list of {"heading",
    "body_html"}), an optional image and `ctas` (a list of {"label", "url"}).
    Saving a document empties those. HTML is sanitised (nh3) when it is saved,
    and again when it is rendered.
    """

    title: Mapped[str] = mapped_column(String(200), default="")
    teaser: Mapped[str] = mapped_column(String(300), default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    sections: Mapped[list] = mapped_column(JSON, default=list)
    image_url: Mapped[str] = mapped_column(String(500), default="")
    ctas: Mapped[list] = mapped_column(JSON, default=list)
    body: Mapped[dict | None] = mapped_column(JSON)

    def content(self) -> dict:
        """The content fields as a plain dict (what an edition copies, what a send freezes)."""
        return {name: getattr(self, name) for name in CONTENT_FIELDS}


class NewsletterIssue(_Content, IdMixin, Model):
    """One of the yearly issues: its number, theme, send date and standing content."""

    __tablename__ = "newsletter_issues"
    __table_args__ = (
        CheckConstraint("send_month BETWEEN 1 AND 12", name="send_month"),
        CheckConstraint("send_day BETWEEN 1 AND 31", name="send_day"),
        CheckConstraint("send_hour BETWEEN 0 AND 23", name="send_hour"),
        CheckConstraint("send_minute BETWEEN 0 AND 59", name="send_minute"),
    )

    number: Mapped[int] = mapped_column(Integer, unique=True)
    theme: Mapped[str] = mapped_column(String(200))
    send_month: Mapped[int] = mapped_column(Integer)
    send_day: Mapped[int] = mapped_column(Integer, default=15)
    send_hour: Mapped[int] = mapped_column(Integer, default=9)
    send_minute: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    editions: Mapped[list[Edition]] = relationship(
        "Edition", back_populates="issue", order_by="Edition.year"
    )


class Edition(_Content, EntityOwned, TimestampMixin, Model):
    """An issue's edition for one year.

    Lifecycle: created as a copy of the issue's standing content (`draft`);
    referents may edit it and `approve` it. At its send time the content that
    goes out is frozen (`frozen_dt`, `shared_context_id`): the approved
    edition, or else the issue's standing content, so the cycle never stalls.
    It is sent to every due member until the next issue falls due; then it is
    `closed_dt` and the members it never reached are recorded as missed.
    """

    __tablename__ = "newsletter_editions"
    __table_args__ = (
        UniqueConstraint("issue_id", "year", name="uq_newsletter_editions_issue_year"),
        check_in("status", EDITION_STATUSES),
        Index("ix_newsletter_editions_send_dt", "send_dt"),
    )

    issue_id: Mapped[int] = mapped_column(ForeignKey("newsletter_issues.id"))
    year: Mapped[int] = mapped_column(Integer)
    send_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    edited_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the content is frozen (first send, or closing an edition nobody received):
    # from then on the archive shows it and it can no longer be edited.
    frozen_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    frozen_content: Mapped[dict | None] = mapped_column(JSON)
    shared_context_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_shared_contexts.id"))
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    issue: Mapped[NewsletterIssue] = relationship(
        "NewsletterIssue", back_populates="editions", lazy="joined"
    )
    edited_by: Mapped[User | None] = relationship("User", foreign_keys=[edited_by_id])
    approved_by: Mapped[User | None] = relationship("User", foreign_keys=[approved_by_id])

    @property
    def code(self) -> str:
        """`2027-N1`: the edition in idempotency keys and URLs."""
        return f"{self.year}-N{self.issue.number}"

    @property
    def label(self) -> str:
        return f"N°{self.issue.number} · {self.year}"

    @property
    def editable(self) -> bool:
        return self.frozen_dt is None


RECEIPT_OUTCOMES = {"sent": "Envoyée", "missed": "Manquée"}


class Receipt(Model):
    """The decision for one member and one edition: queued for sending, or recorded as missed."""

    __tablename__ = "newsletter_receipts"

    access_title = "Lettres d'information"
    __table_args__ = (
        check_in("outcome", RECEIPT_OUTCOMES),
        Index("ix_newsletter_receipts_member", "member_id"),
    )

    edition_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_editions.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    decided_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    edition: Mapped[Edition] = relationship("Edition", lazy="joined")
