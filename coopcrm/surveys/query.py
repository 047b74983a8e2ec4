"""Who was invited to a survey, as the referent pages list them."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.scoping import owned, scope
from coopcrm.surveys.models import Survey, SurveyInvitation


def member_invitations(member: Member, user=None) -> list[tuple[SurveyInvitation, Survey]]:
    """Every survey the member was invited to (that the user may see), with its invitation,
    latest first."""
    query = (select(SurveyInvitation, Survey).join(Survey, Survey.id == SurveyInvitation.survey_id)
             .where(SurveyInvitation.member_id == member.id))
    if user is not None:
        query = owned(query, Survey, user)
    return [(inv, survey) for inv, survey in db.session.execute(
        query.order_by(SurveyInvitation.invited_dt.desc()))]


def invitation(survey: Survey, member: Member) -> SurveyInvitation | None:
    """The member's invitation to the survey, if they were invited."""
    return db.session.scalar(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.member_id == member.id))


def post_invitations(survey: Survey, user, q: str = "") -> Select:
    """The invitations the user may see, by member name: those sent by post, or, with a
    search `q`, any invited member whose name matches (a reply may come back by post)."""
    stmt = (select(SurveyInvitation).join(Member, Member.id == SurveyInvitation.member_id)
            .where(SurveyInvitation.survey_id == survey.id))
    stmt = scope(stmt, user)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(Member.search_text.like(like),
                              func.lower(Member.last_name).like(like)))
    else:
        stmt = stmt.where(SurveyInvitation.channel == "courrier")
    return stmt.order_by(Member.last_name, Member.first_name, Member.id)


def letters_to_print(survey: Survey, user) -> list[SurveyInvitation]:
    """The invitations by post still without an answer: one printed letter each."""
    return list(db.session.scalars(
        post_invitations(survey, user).where(SurveyInvitation.answered_dt.is_(None))))
