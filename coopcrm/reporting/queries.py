"""Aggregate counts for the dashboard: one GROUP BY or COUNT each, never a loop over members."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select

from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from coopcrm.members.models import Entity, Member, MemberEntity
from coopcrm.members.scoping import owned, scope

ALERT_DAYS = 14


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _grouped(column, user) -> dict:
    query = scope(select(column, func.count()).select_from(Member), user,
                  anonymised=True).group_by(column)
    return {key: n for key, n in db.session.execute(query)}


def member_counts(user) -> dict:
    """Members the user may see: total, by status, by track, by entity, reachable by email.

    An anonymised member still counts (erasure keeps the statistics); having no address,
    they are not reachable."""
    visible = scope(select(Member.id), user, anonymised=True)
    deliverable = Member.has_deliverable_email
    by_entity = (select(Entity.name, func.count(MemberEntity.member_id))
                 .join(MemberEntity, MemberEntity.entity_id == Entity.id)
                 .join(Member, Member.id == MemberEntity.member_id)
                 .group_by(Entity.id, Entity.name).order_by(Entity.name))
    if not user.sees_all_entities:
        by_entity = by_entity.where(Entity.id.in_(user.entity_ids))
    return {
        "total": _count(visible),
        "by_status": _grouped(Member.status, user),
        "by_track": _grouped(Member.track, user),
        "by_entity": [(name, n) for name, n in db.session.execute(by_entity)],
        "deliverable": _count(visible.where(deliverable)),
        "reachable": _count(visible.where(deliverable, Member.newsletter_consent.is_(True))),
    }


def without_contact(user, today: date, days: int = 365) -> int:
    """Coopérateurs with no moment done in the last `days` days."""
    from coopcrm.journeys.models import Moment

    recent = exists().where(Moment.member_id == Member.id, Moment.status == "done",
                            Moment.occurs_on > today - timedelta(days=days))
    return _count(scope(select(Member.id), user)
                  .where(Member.status == "cooperateur", ~recent))


def cycle_alerts(now: datetime, days: int = ALERT_DAYS, user=None) -> list[Edition]:
    """Editions (the user may see) leaving within `days` days that nobody approved: the
    standing content would go."""
    query = select(Edition).where(
        Edition.send_dt >= now, Edition.send_dt <= now + timedelta(days=days),
        Edition.status != "approved", Edition.frozen_dt.is_(None))
    if user is not None:
        query = owned(query, Edition, user)
    return list(db.session.scalars(query.order_by(Edition.send_dt)))
