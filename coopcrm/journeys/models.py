"""The moment-type catalogue per track and each member's moments."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm.extensions import Model
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in
from coopcrm.privacy.audited import Audited
from coopcrm.privacy.erasable import Erasable

if TYPE_CHECKING:
    from coopcrm.auth.models import User
    from coopcrm.members.models import Member
    from coopcrm.surveys.models import Survey


CHANNELS = {
    "email": "Email",
    "courrier": "Courrier",
    "telephone": "Téléphone",
    "visite": "Visite",
    "evenement": "Événement",
}
MOMENT_STATUSES = {"planned": "Prévu", "done": "Réalisé", "cancelled": "Annulé"}


class MomentType(IdMixin, Model):
    """A kind of key moment; track is 'accession', 'locatif' or 'both'."""

    __tablename__ = "moment_types"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(20), default="both")
    position: Mapped[int] = mapped_column(Integer, default=0)
    repeatable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Moment(Audited, Erasable, TimestampMixin, Model):
    __tablename__ = "moments"
    access_title = "Moments clés du parcours"
    audit_kind = "moment"  # its status is a real change: audited
    erase_values = {"notes": ""}  # the type and date stay: moments counted by type and month
    __table_args__ = (
        check_in("status", MOMENT_STATUSES),
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

    type: Mapped[MomentType] = relationship("MomentType", lazy="joined")
    owner: Mapped[User | None] = relationship("User", lazy="joined")
    member: Mapped[Member] = relationship("Member")


# --- follow-up rules (coopcrm.journeys.followups) -------------------------------

FOLLOWUP_ACTIONS = {
    "email": "Envoyer un email",
    "survey": "Envoyer un sondage",
    "plan_moment": "Planifier un moment",
}
FOLLOWUP_STATUSES = {
    "pending": "En attente",
    "done": "Fait",
    "skipped": "Non fait",
    "cancelled": "Annulé",
}


class FollowUpRule(TimestampMixin, Model):
    """When a moment of `trigger_type` is done, after `delay_days`: email, survey or new moment."""

    __tablename__ = "followup_rules"
    __table_args__ = (
        check_in("action", FOLLOWUP_ACTIONS),
    )

    # Set for seeded rules only, so seeding again finds them (admins may rename them).
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    # A moment type is deleted only while no moment uses it: its rules go with it.
    trigger_type_id: Mapped[int] = mapped_column(
        ForeignKey("moment_types.id", ondelete="CASCADE"), index=True)
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(60), default="")  # action 'email'
    link_url: Mapped[str] = mapped_column(String(500), default="")  # e.g. the livret d'accueil
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    plan_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("moment_types.id", ondelete="SET NULL"))
    track: Mapped[str] = mapped_column(String(20), default="")  # '' = every member
    # A follow-up already due longer ago than this when its moment is logged never acts
    # (history imported, a move-in noted two years late); None = no limit.
    max_late_days: Mapped[int | None] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    trigger_type: Mapped[MomentType] = relationship(
        "MomentType", foreign_keys=[trigger_type_id], lazy="joined"
    )
    plan_type: Mapped[MomentType | None] = relationship(
        "MomentType", foreign_keys=[plan_type_id], lazy="joined"
    )
    survey: Mapped[Survey | None] = relationship("Survey")


class FollowUpDue(Erasable, IdMixin, Model):
    """One follow-up of one rule for one trigger moment: the row that makes it happen once."""

    __tablename__ = "followup_dues"

    access_title = "Relances"
    erase_values = {"result": ""}
    __table_args__ = (
        UniqueConstraint("rule_id", "moment_id"),
        check_in("status", FOLLOWUP_STATUSES),
        Index("ix_followup_dues_status_due", "status", "due_dt"),
    )

    rule_id: Mapped[int] = mapped_column(ForeignKey("followup_rules.id", ondelete="CASCADE"))
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"),
                                           index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    result: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    acted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[FollowUpRule] = relationship("FollowUpRule", lazy="joined")
    moment: Mapped[Moment] = relationship("Moment")


class JourneySetting(Model):
    """Small settings of the journeys pages (the courtesy visits' monthly target)."""

    __tablename__ = "journey_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")
