"""Events and their invited members, as the referent pages list them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from coopcrm.events.models import Event, Invitation
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.scoping import owned, scope


def visible_events(user) -> Select:
    """The events the user may see: the group's and their entities' (members.scoping)."""
    return owned(select(Event), Event, user)


def upcoming_and_past(now: datetime, user=None) -> tuple[list[Event], list[Event]]:
    """Events (the user may see) not over yet, soonest first; and those over, latest first."""
    query = visible_events(user) if user is not None else select(Event)
    events = list(db.session.scalars(query.order_by(Event.starts_dt.desc())))
    upcoming = sorted((e for e in events if e.ends_dt >= now), key=lambda e: e.starts_dt)
    return upcoming, [e for e in events if e.ends_dt < now]


def invitations_seen_by(event: Event, user, limit: int = 200) -> list[Invitation]:
    """The event's invitations of members the user may see, by name (the first `limit`)."""
    return list(db.session.scalars(
        scope(select(Invitation), user).join(Member, Member.id == Invitation.member_id)
        .where(Invitation.event_id == event.id)
        .order_by(Member.last_name, Member.first_name).limit(limit)))


def letter_members(event: Event, user, every_channel: bool = False) -> list[Member]:
    """The invited members the user may see who get a paper letter (or all of them with
    `every_channel`), in postal order."""
    query = (scope(select(Member), user)
             .join(Invitation, Invitation.member_id == Member.id)
             .where(Invitation.event_id == event.id))
    if not every_channel:
        query = query.where(Invitation.channel == "courrier")
    return list(db.session.scalars(query.order_by(Member.postal_code, Member.last_name)))
