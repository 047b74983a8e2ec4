"""Events: the event, its invitations, the answers (RSVP, proxy) and who came."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm.events import checkin, services
from coopcrm.events.models import Attendance, Event, Invitation, Resolution
from coopcrm.events.votes import services as votes
from coopcrm.extensions import db
from tests.factories._base import finished
from tests.instants import at


def event(user, day, kind="ag_ordinaire", commit=True, **kw) -> Event:
    """An event on `day` (Paris), saved through the service (notice rules apply)."""
    data = services.EventData(kind=kind, title=kw.pop("title", "Assemblée générale 2027"),
                              starts_dt=at(day), ends_dt=at(day, 20, 30),
                              place=kw.pop("place", "Salle des fêtes"), **kw)
    return finished(services.save(data, user), commit)


def event_invitation(event_, member, commit=True) -> Invitation:
    """`member`'s invitation: the event's audience invited, as the timeline job does."""
    services.ensure_invitations(event_)
    row = db.session.scalars(select(Invitation).where(
        Invitation.event_id == event_.id, Invitation.member_id == member.id)).one()
    return finished(row, commit)


def rsvp(invitation: Invitation, response="yes", commit=True) -> Invitation:
    """The member's answer through their link: yes (a place or the waiting list) or no."""
    return finished(services.answer(invitation, response), commit)


def proxy(invitation: Invitation, to="", chair=False, commit=True) -> Invitation:
    """The member gives a proxy on their link: to the member named `to`, or to the chair."""
    return finished(services.answer(invitation, "proxy", proxy_text=to, proxy_chair=chair),
                    commit)


def attendance(event_, member, mode="in_person", holder=None, chair=False,
               commit=True) -> Attendance:
    """The desk's record: present (`mode`), or represented by `holder` (present) or the chair."""
    if holder is None and not chair:
        row = checkin.mark_present(event_, member.id, mode)
    else:
        row = checkin.mark_represented(event_, member.id, holder.id if holder else None,
                                       chair=chair)
    return finished(row, commit)


def resolution(event_, title="Approbation des comptes", majority="ago", board=True, number=None,
               commit=True) -> Resolution:
    """A resolution of the AG `event_`, through the votes service (numbered next by default)."""
    return finished(votes.save_resolution(event_, votes.ResolutionData(
        number, title, "", majority, board)), commit)
