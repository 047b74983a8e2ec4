"""Journeys: the moment catalogue, moments, follow-up rules and the follow-ups they make due."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.journeys import services
from coopcrm.journeys.followups import services as followups
from coopcrm.journeys.models import FollowUpDue, FollowUpRule, Moment, MomentType
from coopcrm.seeding.reference import load_moment_types
from tests.factories._base import finished, saved, today

BOOKLET_URL = "https://coop.example/livret-accueil.pdf"


def moment_types() -> dict[str, MomentType]:
    """The seeded catalogue, by code."""
    load_moment_types()
    db.session.commit()
    return {t.code: t for t in db.session.scalars(select(MomentType))}


def followup_rules(booklet_url: str = BOOKLET_URL) -> dict[str, FollowUpRule]:
    """The default follow-up rules (seeds/followup_rules.json), by code, all but the survey on.

    Needs the catalogue (`moment_types()`).
    """
    followups.seed_rules(booklet_url=booklet_url)
    db.session.commit()
    return {r.code: r for r in db.session.scalars(select(FollowUpRule))}


def moment(member, type_: MomentType | str, status="done", occurs_on: date | None = None,
           commit=True, **kw) -> Moment:
    """A moment recorded through the journeys service (its checks apply); `type_` may be a code."""
    if isinstance(type_, str):
        type_ = db.session.scalars(select(MomentType).where(MomentType.code == type_)).one()
    row = services.record(member, type_, status=status,
                          occurs_on=occurs_on if occurs_on is not None else today(), **kw)
    return finished(row, commit)


def followup_due(rule: FollowUpRule, moment_: Moment, due_dt: datetime | None = None,
                 status="pending", commit=True, **kw) -> FollowUpDue:
    """The follow-up `rule` owes for `moment_`, due when the rule says unless `due_dt` is given."""
    if due_dt is None:
        due_dt = followups.due_at(followups.due_date(rule, moment_))
    row = FollowUpDue(rule_id=rule.id, moment_id=moment_.id, member_id=moment_.member_id,
                      due_dt=due_dt, status=status, created_dt=kw.pop("created_dt", clock.now()),
                      **kw)
    return saved(row, commit)
