from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime
from coopcrm.privacy.audited import Audited

if TYPE_CHECKING:
    from coopcrm.auth.models import User


CONSENT_KINDS = {
    "newsletter": "Lettre d'information par email",
    "econvocation": "Convocation électronique à l'AG",
}


class ConsentRecord(Audited, IdMixin, Model):
    """Each grant or withdrawal of a consent, with its date, source and wording."""

    __tablename__ = "consent_records"
    audit_kind = "consent"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    source: Mapped[str] = mapped_column(String(100))
    wording: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The email whose body held the link the member used (their proof of consent).
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))


class AuditEntry(IdMixin, Model):
    """Who did what to which member, when; `changes` maps a field to [old, new]."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_member_dt", "member_id", "recorded_dt"),)

    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When no user acted: "import", "scheduler", "membre" (a personal link)...
    actor: Mapped[str] = mapped_column(String(100), default="")
    member_id: Mapped[int | None] = mapped_column(Integer)  # no FK: survives erasure
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="member")
    object_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship("User", lazy="joined")
