"""The one place that decides which members a user may see (DESIGN principle 5)."""

from __future__ import annotations

from sqlalchemy import Select, exists, select
from werkzeug.exceptions import NotFound

from coopcrm.extensions import db
from coopcrm.members.models import Member, MemberEntity


def scope(query: Select, user) -> Select:
    """Restrict a query over Member to the user's entities."""
    query = query.where(Member.anonymised_dt.is_(None))
    if user.sees_all_entities:
        return query
    ids = user.entity_ids
    return query.where(
        exists().where(MemberEntity.member_id == Member.id, MemberEntity.entity_id.in_(ids))
    )


def visible_members(user) -> Select:
    return scope(select(Member), user)


def get_member(user, member_id: int) -> Member:
    """The member if the user may see them; 404 otherwise (never a hint they exist)."""
    member = db.session.scalar(scope(select(Member).where(Member.id == member_id), user))
    if member is None:
        raise NotFound()
    return member


def visible_member_ids(user) -> set[int]:
    """The ids of every member the user may see (to filter lists built for the whole group)."""
    return set(db.session.scalars(scope(select(Member.id), user)))
