"""Stored member tokens: one row per link that must be single-use or revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime
from coopcrm.privacy.erasable import Erasable


class MemberToken(Erasable, IdMixin, Model):
    """A random link token bound to one member and one purpose; only its hash is kept."""

    __tablename__ = "member_tokens"

    access_title = "Liens personnels envoyés"

    access_hidden = ("token_hash",)
    erase_delete = True  # an anonymised member's links stop working
    __table_args__ = (Index("ix_member_tokens_purpose_subject", "purpose", "subject_id"),)

    # sha256 of the raw token, hex: a leaked database gives no usable link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(30))
    # What the link is about (a survey id, an event id), per purpose.
    subject_id: Mapped[int | None] = mapped_column(Integer)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    @property
    def is_used(self) -> bool:
        return self.used_dt is not None

    def __repr__(self) -> str:  # never the hash: it would end up in logs
        return f"<MemberToken {self.id} {self.purpose} member={self.member_id}>"
