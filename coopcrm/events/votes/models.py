"""The AG's votes: the voters frozen when the vote opens, postal forms, in-room totals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.events import models as _events  # noqa: F401  (Event, Resolution mappers)
from coopcrm.events.votes.majority import CHOICES
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime, check_in
from coopcrm.privacy.erasable import Erasable

BALLOT_SOURCES = {"paper": "Formulaire papier", "online": "En ligne"}
TALLY_ENTRIES = {1: "Première saisie", 2: "Seconde saisie"}
NO_COLLEGE = "-"  # the college key of members without one


class EventVoter(Erasable, IdMixin, Model):
    """A member entitled to vote at an AG, with their college as it stood at the opening."""

    __tablename__ = "event_voters"
    access_title = "Droits de vote aux assemblées générales"
    # Part of the assembly's record, like the attendance sheet it goes with.
    legal_record = "ag_attendance"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    college_key: Mapped[str] = mapped_column(String(40), default=NO_COLLEGE)
    college_name: Mapped[str] = mapped_column(String(200), default="Sans collège")
    college_position: Mapped[int] = mapped_column(Integer, default=9999)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(1))
    # Percent of the assembly's votes the college holds (None: no weighting by college).
    share: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))


class PostalBallot(Erasable, IdMixin, Model):
    """A member's postal voting form: keyed in from paper, or sent through their link."""

    __tablename__ = "event_postal_ballots"
    access_title = "Votes par correspondance"
    legal_record = "ag_attendance"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),
                      check_in("source", BALLOT_SOURCES))

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    source: Mapped[str] = mapped_column(String(10), default="paper")
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    choices: Mapped[list[PostalChoice]] = relationship(
        "PostalChoice", back_populates="ballot", cascade="all, delete-orphan")


class PostalChoice(IdMixin, Model):
    """One line of a postal form: pour, contre or abstention on one resolution."""

    __tablename__ = "event_postal_choices"
    __table_args__ = (UniqueConstraint("ballot_id", "resolution_id"),
                      check_in("choice", CHOICES))

    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("event_postal_ballots.id", ondelete="CASCADE"))
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("event_resolutions.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(String(10))

    ballot: Mapped[PostalBallot] = relationship("PostalBallot", back_populates="choices")


class RoomTally(IdMixin, Model):
    """In-room totals of one college on one resolution, as one of two entries typed."""

    __tablename__ = "event_room_tallies"
    __table_args__ = (UniqueConstraint("resolution_id", "college_key", "entry"),
                      check_in("entry", TALLY_ENTRIES))

    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("event_resolutions.id", ondelete="CASCADE"))
    college_key: Mapped[str] = mapped_column(String(40))
    entry: Mapped[int] = mapped_column(Integer)
    for_count: Mapped[int] = mapped_column(Integer, default=0)
    against_count: Mapped[int] = mapped_column(Integer, default=0)
    abstain_count: Mapped[int] = mapped_column(Integer, default=0)
    entered_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def counts(self) -> tuple[int, int, int]:
        return (self.for_count, self.against_count, self.abstain_count)
