"""Surveys, questions, invitations (who was asked, by which channel) and responses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.members.models import EntityOwned
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in
from coopcrm.privacy.erasable import ERASED, Erasable

if TYPE_CHECKING:
    from coopcrm.members.models import Member


KINDS = {
    "yesno": "Oui / Non",
    "single": "Choix unique",
    "multiple": "Choix multiples (cases à cocher)",
    "scale": "Échelle de 1 à 5",
    "short": "Texte court",
    "long": "Texte long",
}
CHOICE_KINDS = ("single", "multiple")
YESNO = {"oui": "Oui", "non": "Non"}
SCALE = (1, 2, 3, 4, 5)
# Longest free-text answer by kind: the answer check and the form controls read it here.
TEXT_ANSWER_MAX = {"short": 300, "long": 5000}
ANSWER_CHANNELS = {"email": "Lien personnel", "courrier": "Courrier"}


class Survey(EntityOwned, TimestampMixin, Model):
    """A questionnaire sent to members by personal link."""

    __tablename__ = "surveys"

    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    thanks: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # A ready-made model ("Sondage état des lieux"): copied, never sent itself.
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    template_code: Mapped[str | None] = mapped_column(String(60), unique=True)
    reminder_delay_days: Mapped[int] = mapped_column(Integer, default=7)
    reminder_max: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    questions: Mapped[list[SurveyQuestion]] = relationship(
        "SurveyQuestion", order_by="SurveyQuestion.position", cascade="all, delete-orphan",
        back_populates="survey",
    )

    @property
    def closes_dt(self) -> datetime | None:
        """The end of the closing day, Paris time, in UTC (links expire then)."""
        if self.closes_on is None:
            return None
        end = datetime.combine(self.closes_on + timedelta(days=1), time(0), tzinfo=clock.PARIS)
        return end.astimezone(UTC)

    def is_closed(self, now: datetime | None = None) -> bool:
        closes = self.closes_dt
        return closes is not None and (now or clock.now()) >= closes

    def is_open(self, now: datetime | None = None) -> bool:
        today = (now or clock.now()).astimezone(clock.PARIS).date()
        if self.opens_on is not None and today < self.opens_on:
            return False
        return not self.is_closed(now)


class SurveyQuestion(IdMixin, Model):
    __tablename__ = "survey_questions"
    __table_args__ = (
        check_in("kind", KINDS),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(Text)
    help: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    choices: Mapped[list] = mapped_column(JSON, default=list)  # labels, for single/multiple

    survey: Mapped[Survey] = relationship("Survey", back_populates="questions")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def answer_max(self) -> int | None:
        """The longest answer a free-text question takes; None for a closed one."""
        return TEXT_ANSWER_MAX.get(self.kind)

    @property
    def options(self) -> list[tuple[str, str]]:
        """(stored value, label) of a closed question."""
        if self.kind == "yesno":
            return list(YESNO.items())
        if self.kind == "scale":
            return [(str(n), str(n)) for n in SCALE]
        if self.kind in CHOICE_KINDS:
            return [(c, c) for c in self.choices or []]
        return []


class SurveyInvitation(IdMixin, Model):
    """One member asked to answer one survey: who was asked and who answered (even anonymous)."""

    __tablename__ = "survey_invitations"

    access_title = "Invitations aux sondages"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", name="uq_survey_invitations_survey_member"),
        Index("ix_survey_invitations_due", "survey_id", "answered_dt"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    # "email" (a personal link was queued) or "courrier" (no deliverable address: print it).
    channel: Mapped[str] = mapped_column(String(20), default="email")
    outbox_key: Mapped[str] = mapped_column(String(200), default="")
    invited_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For an anonymous survey, only the day: the time would help match the answer to the member.
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_channel: Mapped[str] = mapped_column(String(20), default="")

    survey: Mapped[Survey] = relationship("Survey")
    member: Mapped[Member] = relationship("Member")


class SurveyResponse(Erasable, IdMixin, Model):
    """One set of answers. In an anonymous survey it holds no member id and no time of day.

    `respondent_key` finds the response again when its author comes back with
    their link to change it: an HMAC of the raw link token (which the database
    never holds), so the database alone cannot tie an anonymous response to
    a member.
    """

    __tablename__ = "survey_responses"

    access_title = "Réponses aux sondages (non anonymes)"

    access_hidden = ("respondent_key",)
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent_key", name="uq_survey_responses_respondent"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    respondent_key: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"),
                                                  index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    answered_on: Mapped[date] = mapped_column(Date)
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None when anonymous
    # {question id (str): "oui" | "choice label" | ["a", "b"] | 4 | "text"}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)

    member: Mapped[Member] = relationship("Member")

    @classmethod
    def erase_rows(cls, connection, member_ids: list[int], erasure) -> None:
        """A named response's free-text answers are wiped; the closed answers stay
        (the survey's tallies do not move)."""
        texts = {str(i) for i in connection.scalars(
            select(SurveyQuestion.id).where(SurveyQuestion.kind.in_(TEXT_ANSWER_MAX)))}
        table = cls.__table__
        for row in connection.execute(select(table.c.id, table.c.answers)
                                      .where(table.c.member_id.in_(member_ids))).all():
            answers = dict(row.answers or {})
            wiped = {k: ERASED for k, v in answers.items() if k in texts and v}
            if wiped:
                connection.execute(update(table).where(table.c.id == row.id)
                                   .values(answers={**answers, **wiped}))

