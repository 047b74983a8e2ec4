"""Events, sessions, invitations, attendance and proxies."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The modules of the classes our relationships name (User, Member, Segment, Survey):
# imported here so the mappers configure whichever module is imported first.
from coopcrm import clock
from coopcrm.auth import models as _auth  # noqa: F401
from coopcrm.extensions import Model
from coopcrm.members import models as _members  # noqa: F401
from coopcrm.members.models import EntityOwned
from coopcrm.members.scoping import name_or_other
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in
from coopcrm.privacy.erasable import SCRUB, Erasable
from coopcrm.segments import models as _segments  # noqa: F401
from coopcrm.surveys import models as _surveys  # noqa: F401

if TYPE_CHECKING:
    from coopcrm.auth.models import User
    from coopcrm.members.models import Member
    from coopcrm.segments.models import Segment
    from coopcrm.surveys.models import Survey


KINDS = {
    "ag_ordinaire": "Assemblée générale ordinaire",
    "ag_extraordinaire": "Assemblée générale extraordinaire",
    "atelier": "Atelier",
    "visite": "Visite",
    "reunion": "Réunion",
}
AG_KINDS = ("ag_ordinaire", "ag_extraordinaire")
RESPONSES = {"pending": "Pas de réponse", "yes": "Vient", "no": "Ne vient pas",
             "proxy": "Donne pouvoir"}
ATTENDANCE_STATUSES = {"present": "Présent", "represented": "Représenté"}
MODES = {"in_person": "sur place", "remote": "à distance"}
# AG only: quorum and notice depend on which convocation this is.
CONVOCATIONS = {1: "Première convocation", 2: "Deuxième convocation"}
# The majority a resolution needs (events/votes/majority.py THRESHOLDS): its nature.
MAJORITIES = {"ago": "AGO (majorité simple)", "age": "AGE (deux tiers)"}


class EventSeries(TimestampMixin, Model):
    """A cycle of sessions (e.g. 11 gardening workshops): each session is an Event."""

    __tablename__ = "event_series"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    sessions: Mapped[list[Event]] = relationship(
        "Event", back_populates="series", order_by="Event.starts_dt"
    )


class Event(EntityOwned, TimestampMixin, Model):
    """An AG or another event (workshop, visit, meeting), with its audience and timeline."""

    __tablename__ = "events"
    __table_args__ = (
        check_in("kind", KINDS),
        check_in("convocation_number", CONVOCATIONS),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_series.id", ondelete="SET NULL"), index=True)
    # AG only: first or second convocation (quorum and notice depend on it).
    convocation_number: Mapped[int] = mapped_column(Integer, default=1)
    # AG: the day the convocation goes out; other events: the day invitations go out.
    send_on: Mapped[date | None] = mapped_column(Date)
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    # Shown to those absent in the thanks email ("les comptes ont été approuvés...").
    summary: Mapped[str] = mapped_column(Text, default="")
    feedback_survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("surveys.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # AG: postal forms count if received by then (R225-77); None: three days before.
    postal_deadline_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # AG: when the entitled voters were frozen (events/votes); None: vote not opened.
    vote_opened_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[EventSeries | None] = relationship("EventSeries", back_populates="sessions")
    segment: Mapped[Segment | None] = relationship("Segment")
    created_by: Mapped[User | None] = relationship("User")
    feedback_survey: Mapped[Survey | None] = relationship("Survey")
    resolutions: Mapped[list[Resolution]] = relationship(
        "Resolution", back_populates="event", order_by="Resolution.position",
        cascade="all, delete-orphan",
    )
    steps: Mapped[list[EventStep]] = relationship(
        "EventStep", back_populates="event", cascade="all, delete-orphan"
    )

    @property
    def is_ag(self) -> bool:
        return self.kind in AG_KINDS

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def start_date(self) -> date:
        """The day it takes place, in Paris."""
        return self.starts_dt.astimezone(clock.PARIS).date()


class Resolution(IdMixin, Model):
    """A resolution put to the vote of an AG; `position` is its number, in agenda order."""

    __tablename__ = "event_resolutions"
    __table_args__ = (check_in("majority", MAJORITIES),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    majority: Mapped[str] = mapped_column(String(3), default="ago")
    # Proposed (or approved) by the board: blank proxies vote for it, against the others.
    board: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def number(self) -> int:
        return self.position

    @property
    def majority_short(self) -> str:
        return self.majority.upper()

    event: Mapped[Event] = relationship("Event", back_populates="resolutions")


class EventStep(IdMixin, Model):
    """One step of an event's timeline (save-the-date, convocation...), done exactly once.

    The row is written before any email of the step, in the same transaction:
    its unique (event, step) is what makes a second or late run do nothing.
    """

    __tablename__ = "event_steps"
    __table_args__ = (UniqueConstraint("event_id", "step"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(40))
    due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    done_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    outcome: Mapped[str] = mapped_column(String(20), default="done")  # done | skipped | late
    count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship("Event", back_populates="steps")


class Invitation(Erasable, IdMixin, Model):
    """A member invited to an event (the audience), with their answer."""

    __tablename__ = "event_invitations"

    access_title = "Invitations aux événements, réponses et procurations"
    erase_member_columns = ("member_id", "proxy_member_id")
    erase_values = {"proxy_name": SCRUB}
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        check_in("response", RESPONSES),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    response: Mapped[str] = mapped_column(String(10), default="pending")
    waitlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    responded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Je donne pouvoir à": a member the name typed matched, or the chair, or only the
    # text typed (the desk sorts it out; the member is never told whether it matched).
    proxy_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    proxy_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    proxy_name: Mapped[str] = mapped_column(String(200), default="")
    # AG: consent to electronic convocation as it stood at D-35 (frozen once).
    econvocation: Mapped[bool | None] = mapped_column(Boolean)
    # AG: how the convocation went out: 'email' or 'courrier'.
    channel: Mapped[str | None] = mapped_column(String(10))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    event: Mapped[Event] = relationship("Event")
    member: Mapped[Member] = relationship("Member", foreign_keys=[member_id])
    proxy_member: Mapped[Member | None] = relationship("Member", foreign_keys=[proxy_member_id])

    def proxy_label(self, seen) -> str:
        """To whom the member said they give their proxy, as a user who sees the members of
        `seen` may read it (members.scoping.seen_by): no name of another entity's member."""
        if self.proxy_chair:
            return "le président"
        if self.proxy_member is not None:
            return name_or_other(self.proxy_member, seen)
        return f"« {self.proxy_name} » (à vérifier)"

    @property
    def response_label(self) -> str:
        if self.response == "yes" and self.waitlisted:
            return "Liste d'attente"
        return RESPONSES.get(self.response, self.response)


class Attendance(Erasable, IdMixin, Model):
    """Who was there on the day: present (in person or remote) or represented by a proxy."""

    __tablename__ = "event_attendances"

    access_title = "Présences aux événements"
    # The attendance sheet names who was there and who held whose proxy (R225-95).
    erase_member_columns = ("member_id", "holder_id")
    legal_record = "ag_attendance"
    __table_args__ = (
        # One row per member: present and represented exclude each other by construction.
        UniqueConstraint("event_id", "member_id"),
        check_in("status", ATTENDANCE_STATUSES),
        CheckConstraint(
            "(status = 'present' AND mode IS NOT NULL AND holder_id IS NULL AND NOT holder_chair)"
            " OR (status = 'represented' AND mode IS NULL"
            " AND ((holder_id IS NOT NULL AND NOT holder_chair)"
            " OR (holder_id IS NULL AND holder_chair)))",
            name="consistent"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str | None] = mapped_column(String(20))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    holder_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moment_id: Mapped[int | None] = mapped_column(ForeignKey("moments.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship("Member", foreign_keys=[member_id])
    holder: Mapped[Member | None] = relationship("Member", foreign_keys=[holder_id])

    @property
    def label(self) -> str:
        """Present (how) or represented by whom, holder's name included (the member's
        timeline; pages use `label_for`)."""
        return self.label_for(None)

    def label_for(self, seen) -> str:
        """`label` as a user who sees the members of `seen` may read it (None: every name;
        members.scoping.seen_by): a holder of another entity goes unnamed."""
        if self.status == "present":
            return f"Présent {MODES.get(self.mode or '', '')}".strip()
        if self.holder_chair:
            return "Représenté par le président"
        if seen is None:
            return f"Représenté par {self.holder.full_name if self.holder else '?'}"
        return f"Représenté par {name_or_other(self.holder, seen)}"
