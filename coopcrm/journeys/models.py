"""The moment-type catalogue per track and each member's moments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm.extensions import db
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime

CHANNELS = {
    "email": "Email",
    "courrier": "Courrier",
    "telephone": "Téléphone",
    "visite": "Visite",
    "evenement": "Événement",
}
MOMENT_STATUSES = {"planned": "Prévu", "done": "Réalisé", "cancelled": "Annulé"}


class MomentType(IdMixin, db.Model):
    """A kind of key moment; track is 'accession', 'locatif' or 'both'."""

    __tablename__ = "moment_types"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(20), default="both")
    position: Mapped[int] = mapped_column(Integer, default=0)
    repeatable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Moment(TimestampMixin, db.Model):
    __tablename__ = "moments"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="status"),
        Index("ix_moments_member_date", "member_id", "occurs_on"),
        Index("ix_moments_type_status_date", "type_id", "status", "occurs_on"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    type_id: Mapped[int] = mapped_column(ForeignKey("moment_types.id"))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    # The planned date while planned, the actual date once done.
    occurs_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    done_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    type = relationship("MomentType", lazy="joined")
    owner = relationship("User", lazy="joined")
    member = relationship("Member")
