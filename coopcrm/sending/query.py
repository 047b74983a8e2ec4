"""Outbox messages as the referent pages list them, within the user's entities."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.scoping import scope
from coopcrm.sending.models import STATUSES, OutboxMessage


def visible_messages(user) -> Select:
    """Messages the user may see: those of members in their entities (all, for group-wide
    users, tests and messages to no member included)."""
    query = (select(OutboxMessage).outerjoin(Member, Member.id == OutboxMessage.member_id)
             .options(contains_eager(OutboxMessage.member)))
    if user.sees_all_entities:
        return query
    return scope(query, user)


def outbox(user, status: str = "", template: str = "", q: str = "") -> Select:
    """The outbox list, latest first: one status, one template, an address containing `q`
    (each when given; an unknown status is ignored, the caller checks the template)."""
    query = visible_messages(user)
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    if template:
        query = query.where(OutboxMessage.template == template)
    if q:
        query = query.where(OutboxMessage.to_address.ilike(f"%{q}%"))
    return query.order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc())


def message_seen_by(user, message_id: int) -> OutboxMessage | None:
    """One message, if the user may see it."""
    return db.session.scalar(visible_messages(user).where(OutboxMessage.id == message_id))


def member_messages(member_id: int, limit: int = 20) -> list[OutboxMessage]:
    """The member's latest messages (the caller has checked the member is in scope)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.member_id == member_id)
        .order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc()).limit(limit)))
