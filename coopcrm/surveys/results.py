"""Survey results: reach (invited, delivered, bounced, answered), per-question counts, exports.

Given a user, everything is what that user may see (members.scoping): the
invitations and named responses of their members only. An anonymous survey's
responses name nobody, so their free texts are shown to a scoped user only when
every member invited is one of theirs (`texts_shown`); its closed answers stay
counted whole (counts name nobody either).

Reach and the breakdowns (track, college, residence, entity) come from the
invitations, which say who answered even in an anonymous survey; the answers
themselves come from the responses, which in an anonymous survey hold no
member id. Exports of an anonymous survey carry no member column, no time,
and list responses in an order unrelated to when they came.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from coopcrm import fr
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import TRACKS, College, Entity, Member, MemberEntity, Residence
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys.models import (
    ANSWER_CHANNELS,
    YESNO,
    Survey,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

TEXTS_SHOWN = 100


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass
class Reach:
    invited: int = 0
    by_email: int = 0
    by_post: int = 0
    delivered: int = 0
    bounced: int = 0
    answered: int = 0
    answered_by_post: int = 0

    @property
    def rate(self) -> float:
        return percent(self.answered, self.invited)


@dataclass
class OptionCount:
    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    options: list[OptionCount] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # text questions: the latest first
    more_texts: int = 0
    average: float | None = None  # scale
    texts_withheld: bool = False  # anonymous texts of members the user may not see


@dataclass
class GroupRow:
    label: str
    invited: int
    answered: int

    @property
    def rate(self) -> float:
        return percent(self.answered, self.invited)


def texts_shown(survey: Survey, user=None) -> bool:
    """May the user read the survey's free texts? Always for a named survey (the responses
    are filtered by respondent); for an anonymous one, only when no member the user may
    not see was invited (whose text it is cannot be told)."""
    if user is None or user.sees_all_entities or not survey.anonymous:
        return True
    invited = select(SurveyInvitation.member_id).where(SurveyInvitation.survey_id == survey.id)
    seen = scoping.only_seen(invited, SurveyInvitation.member_id, user)
    unseen = invited.where(SurveyInvitation.member_id.not_in(seen)).limit(1)
    return db.session.scalar(unseen) is None


def _responses(survey: Survey, user, *columns):
    stmt = select(*columns).where(SurveyResponse.survey_id == survey.id)
    if survey.anonymous:
        return stmt  # nobody's: texts_shown decides what the user reads of them
    return scoping.only_seen(stmt, SurveyResponse.member_id, user)


def reach(survey: Survey, user=None) -> Reach:
    """Invited, delivered, bounced and answered, among the members the user may see."""
    inv = SurveyInvitation
    r = Reach()
    rows = db.session.execute(scoping.only_seen(
        select(inv.channel, inv.answer_channel, inv.answered_dt.is_not(None), func.count())
        .where(inv.survey_id == survey.id), inv.member_id, user)
        .group_by(inv.channel, inv.answer_channel, inv.answered_dt.is_not(None))).all()
    for channel, answer_channel, answered, n in rows:
        r.invited += n
        if channel == "email":
            r.by_email += n
        else:
            r.by_post += n
        if answered:
            r.answered += n
            if answer_channel == "courrier":
                r.answered_by_post += n
    statuses: dict[str, int] = dict(db.session.execute(scoping.only_seen(
        select(OutboxMessage.status, func.count())
        .join(inv, inv.outbox_key == OutboxMessage.idempotency_key)
        .where(inv.survey_id == survey.id), inv.member_id, user)
        .group_by(OutboxMessage.status)).all())
    r.delivered = statuses.get("sent", 0)
    r.bounced = statuses.get("bounced", 0)
    return r


def questions(survey: Survey, user=None) -> list[QuestionResult]:
    """Per question: how many answered, the counts of each option, the free texts (latest
    first), of the responses the user may see."""
    withheld = not texts_shown(survey, user)
    results = {q.id: QuestionResult(q) for q in survey.questions}
    counters: dict[int, Counter] = {q.id: Counter() for q in survey.questions}
    texts: dict[int, list[str]] = {q.id: [] for q in survey.questions}
    scale_sum: Counter = Counter()
    stmt = (_responses(survey, user, SurveyResponse.answers)
            .order_by(SurveyResponse.answered_on.desc(), SurveyResponse.respondent_key))
    for (answers,) in db.session.execute(stmt.execution_options(yield_per=1000)):
        for key, value in (answers or {}).items():
            qid = int(key) if str(key).isdigit() else None
            if qid is None or qid not in results:
                continue
            q = results[qid].question
            results[qid].answered += 1
            if q.kind == "multiple":
                counters[qid].update(value if isinstance(value, list) else [value])
            elif q.kind in ("short", "long"):
                texts[qid].append(str(value))
            else:
                counters[qid][str(value)] += 1
                if q.kind == "scale":
                    scale_sum[qid] += int(value)
    for qid, res in results.items():
        q = res.question
        if q.kind in ("short", "long") and withheld:
            res.texts_withheld = True
            continue
        if q.kind in ("short", "long"):
            res.texts = texts[qid][:TEXTS_SHOWN]
            res.more_texts = max(0, len(texts[qid]) - TEXTS_SHOWN)
            continue
        res.options = [OptionCount(label, counters[qid][value],
                                   percent(counters[qid][value], res.answered))
                       for value, label in q.options]
        if q.kind == "scale" and res.answered:
            res.average = round(scale_sum[qid] / res.answered, 1)
    return list(results.values())


def breakdowns(survey: Survey, user=None) -> dict[str, list[GroupRow]]:
    """Invited and answered per track, college, residence and entity (the user's members)."""
    inv = SurveyInvitation
    answered = func.count(inv.answered_dt)
    base = scoping.only_seen(
        select(func.count(), answered).select_from(inv)
        .join(Member, Member.id == inv.member_id).where(inv.survey_id == survey.id),
        inv.member_id, user)

    def grouped(label_col, *joins) -> list[GroupRow]:
        stmt = base.add_columns(label_col)
        for target, on in joins:
            stmt = stmt.outerjoin(target, on)
        rows = db.session.execute(stmt.group_by(label_col).order_by(label_col)).all()
        return [GroupRow(label if label is not None else "Non renseigné", n, a)
                for n, a, label in rows]

    tracks = grouped(Member.track)
    for row in tracks:
        row.label = TRACKS.get(row.label, row.label)
    return {
        "Parcours": tracks,
        "Collège": grouped(College.name, (College, College.id == Member.college_id)),
        "Résidence": grouped(Residence.name, (Residence, Residence.id == Member.residence_id)),
        "Entité": grouped(Entity.name, (MemberEntity, MemberEntity.member_id == Member.id),
                          (Entity, Entity.id == MemberEntity.entity_id)),
    }


# ---------------------------------------------------------------- exports


def _cell(q: SurveyQuestion, value) -> str | int:
    if value is None:
        return ""
    if q.kind == "yesno":
        return YESNO.get(value, value)
    if q.kind == "multiple":
        return " | ".join(value if isinstance(value, list) else [str(value)])
    if q.kind == "scale":
        return int(value)
    return str(value)


def export_rows(survey: Survey, as_text: bool = True, user=None) -> Iterator[list]:
    """The header then one line per response; anonymous surveys: answers and channel only.

    With a user, the lines of the members they may see (members.scoping); an anonymous
    survey's free texts are left empty unless `texts_shown`.
    """
    qs = list(survey.questions)
    withheld = not texts_shown(survey, user)

    def cell(q: SurveyQuestion, answers) -> str | int:
        if withheld and q.kind in ("short", "long"):
            return ""
        return _cell(q, (answers or {}).get(str(q.id)))

    labels = [q.label for q in qs]
    if survey.anonymous:
        yield ["Canal", *labels]
        stmt = (_responses(survey, user, SurveyResponse.channel, SurveyResponse.answers)
                .order_by(SurveyResponse.respondent_key))
        for channel, answers in db.session.execute(stmt):
            yield [ANSWER_CHANNELS.get(channel, channel), *(cell(q, answers) for q in qs)]
        return
    yield ["Référence", "Civilité", "Prénom", "Nom", "Canal", "Date de réponse", *labels]
    stmt = (_responses(survey, user, SurveyResponse, Member)
            .outerjoin(Member, Member.id == SurveyResponse.member_id)
            .order_by(SurveyResponse.answered_on, SurveyResponse.id))
    member: Member | None
    for response, member in db.session.execute(stmt):
        day = response.answered_on
        yield [member.references if member else "",
               member.civility if member else "",
               member.first_name if member else "",
               member.last_name if member else "",
               ANSWER_CHANNELS.get(response.channel, response.channel),
               fr.date(day) if as_text else day,
               *(cell(q, response.answers) for q in qs)]
