"""On the day: the check-in desk (presence, proxies, undo), the quorum, the attendance sheet.

Rules: a member is present (in person or remote) or represented, never both
(one Attendance row per member); a proxy holder must be present; a holder
carries at most `EVENTS_PROXY_LIMIT` proxies (default 2); proxies given to the
chair ("pouvoir en blanc") have no limit.

At the desk a referent acts for the members they may see only, holders included
(members.scoping: any other id is a 404, and no message names someone else), and
every list they are shown (the search, the present to choose a holder from, the
sheet, the participation) holds their members only. The quorum stays the whole
assembly's: it is one legal figure, and counts name nobody.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.events import quorum
from coopcrm.events.models import Attendance, Event, Invitation
from coopcrm.events.votes.services import ballot_of
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import College, Member
from coopcrm.members.scoping import scope
from coopcrm.members.text import fold
from coopcrm.privacy import legal

DEFAULT_PROXY_LIMIT = 2
AG_MOMENT_CODE = "ag_coop"  # seeds/moment_types.json
EVENT_MOMENT_CODE = "participation_evenement"
EVENT_MOMENT_LABEL = "Participation à un événement"


def proxy_limit() -> int:
    return int(current_app.config.get("EVENTS_PROXY_LIMIT", DEFAULT_PROXY_LIMIT))


def _invited(event: Event, member_id: int) -> Invitation:
    inv = db.session.scalar(select(Invitation).where(Invitation.event_id == event.id,
                                                     Invitation.member_id == member_id))
    if inv is None:
        raise ValidationFailed({"member": "Cette personne n'est pas sur la liste des invités."})
    return inv


def _attendance(event: Event, member_id: int) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(Attendance.event_id == event.id,
                                                      Attendance.member_id == member_id))


def _name(member_id: int) -> str:
    member = db.session.get(Member, member_id)
    return member.full_name if member else "?"


def _check_seen(user, member_id: int | None) -> None:
    """404 for a member the user at the desk may not see (a job or a test acts as nobody)."""
    if user is not None:
        scoping.get_member(user, member_id)


def mark_present(event: Event, member_id: int, mode: str, user=None) -> Attendance:
    """Present in person or remote; refused if they are represented."""
    _check_seen(user, member_id)
    if mode not in ("in_person", "remote"):
        raise ValidationFailed({"mode": "Sur place ou à distance ?"})
    _invited(event, member_id)
    row = _attendance(event, member_id)
    if row is not None and row.status == "represented":
        raise ValidationFailed({"member": f"{_name(member_id)} est déjà représenté(e) par un "
                                          "pouvoir : annulez d'abord le pouvoir."})
    if row is None:
        row = Attendance(event_id=event.id, member_id=member_id, status="present")
        db.session.add(row)
    row.mode = mode
    row.recorded_dt = clock.now()
    row.recorded_by_id = user.id if user is not None else None
    db.session.flush()
    return row


def held_count(event: Event, holder_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.event_id == event.id, Attendance.holder_id == holder_id)) or 0


def mark_represented(event: Event, member_id: int, holder_id: int | None, chair: bool = False,
                     user=None) -> Attendance:
    """Record a proxy: `member_id` is represented by `holder_id` (present) or the chair."""
    _check_seen(user, member_id)
    if not chair and holder_id is not None:
        _check_seen(user, holder_id)  # before anything is said about them
    if not event.is_ag:
        raise ValidationFailed({"holder": "Les pouvoirs ne concernent que les AG."})
    _invited(event, member_id)
    row = _attendance(event, member_id)
    if row is not None:
        what = "présent(e)" if row.status == "present" else "déjà représenté(e)"
        raise ValidationFailed({"member": f"{_name(member_id)} est {what} : on ne peut pas être "
                                          "à la fois présent et représenté. Annulez d'abord."})
    if ballot_of(event, member_id) is not None:
        raise ValidationFailed({"member": f"{_name(member_id)} a voté par correspondance : on ne "
                                          "peut pas aussi donner pouvoir."})
    if not chair:
        if holder_id is None:
            raise ValidationFailed({"holder": "Choisissez qui porte le pouvoir."})
        if holder_id == member_id:
            raise ValidationFailed({"holder": "On ne peut pas se représenter soi-même."})
        holder = _attendance(event, holder_id)
        if holder is None or holder.status != "present":
            raise ValidationFailed({"holder": f"{_name(holder_id)} doit d'abord être marqué(e) "
                                              "présent(e) pour porter un pouvoir."})
        limit = proxy_limit()
        if held_count(event, holder_id) >= limit:
            raise ValidationFailed({"holder": f"{_name(holder_id)} porte déjà {limit} pouvoir(s), "
                                              "le maximum."})
    row = Attendance(event_id=event.id, member_id=member_id, status="represented",
                     holder_id=None if chair else holder_id, holder_chair=bool(chair),
                     recorded_dt=clock.now(), recorded_by_id=user.id if user is not None else None)
    db.session.add(row)
    db.session.flush()
    return row


def undo(event: Event, member_id: int, user=None) -> None:
    """Remove a presence or a proxy; a holder's presence only once their proxies are undone."""
    _check_seen(user, member_id)
    row = _attendance(event, member_id)
    if row is None:
        return
    if row.status == "present" and held_count(event, member_id):
        raise ValidationFailed({"member": f"{_name(member_id)} porte des pouvoirs : annulez-les "
                                          "d'abord."})
    if row.moment_id is not None:
        raise ValidationFailed({"member": "La feuille de présence est close : ce passage est "
                                          "déjà noté dans le parcours du coopérateur."})
    db.session.delete(row)
    db.session.flush()


@dataclass
class DeskRow:
    invitation: Invitation
    member: Member
    attendance: Attendance | None
    held: int


def search(event: Event, q: str, user, limit: int = 30) -> list[DeskRow]:
    """Invited members matching `q` (name words, any order, accents ignored)."""
    query = (scope(select(Member), user)
             .join(Invitation, Invitation.member_id == Member.id)
             .where(Invitation.event_id == event.id))
    for word in fold(q).split():
        query = query.where(Member.search_text.like(f"%{word}%"))
    members = list(db.session.scalars(query.order_by(Member.last_name, Member.first_name)
                                      .limit(limit)))
    return _rows(event, members)


def _rows(event: Event, members: list[Member]) -> list[DeskRow]:
    ids = [m.id for m in members]
    if not ids:
        return []
    invs = {i.member_id: i for i in db.session.scalars(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.member_id.in_(ids)))}
    att = {a.member_id: a for a in db.session.scalars(select(Attendance).where(
        Attendance.event_id == event.id, Attendance.member_id.in_(ids)))}
    held = dict(db.session.execute(select(Attendance.holder_id, func.count()).where(
        Attendance.event_id == event.id, Attendance.holder_id.in_(ids))
        .group_by(Attendance.holder_id)).all())
    return [DeskRow(invs[m.id], m, att.get(m.id), held.get(m.id, 0)) for m in members]


def present_members(event: Event, user=None) -> list[Member]:
    """Present members the user may see (proxy holders to choose from), by name."""
    return list(db.session.scalars(scoping.only_seen(
        select(Member).join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.event_id == event.id, Attendance.status == "present"),
        Member.id, user).order_by(Member.last_name, Member.first_name)))


# --- quorum -----------------------------------------------------------------


def college_counts(event: Event, user=None) -> list[quorum.CollegeCount]:
    """Per college: coopérateurs called, present, represented (and the college's weight);
    with a user, of the members they may see. Anonymised members count: an assembly's
    figures do not change when one of its members is erased."""
    called = (scoping.only_seen(
              select(Member.college_id, func.count())
              .join(Invitation, Invitation.member_id == Member.id)
              .where(Invitation.event_id == event.id, Member.status == "cooperateur"),
              Member.id, user, anonymised=True)
              .group_by(Member.college_id))
    counts: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for college_id, n in db.session.execute(called):
        counts[college_id]["members"] = n
    here = (scoping.only_seen(
            select(Member.college_id, Attendance.status, func.count())
            .join(Attendance, Attendance.member_id == Member.id)
            .join(Invitation, (Invitation.member_id == Member.id)
                  & (Invitation.event_id == Attendance.event_id))
            .where(Attendance.event_id == event.id, Member.status == "cooperateur"),
            Member.id, user, anonymised=True)
            .group_by(Member.college_id, Attendance.status))
    for college_id, status, n in db.session.execute(here):
        counts[college_id][status] = n
    colleges = {c.id: c for c in db.session.scalars(select(College))}
    out = []
    for college_id, c in sorted(counts.items(), key=lambda kv: (
            colleges[kv[0]].position if kv[0] in colleges else 9999, kv[0] or 0)):
        college = colleges.get(college_id) if college_id is not None else None
        out.append(quorum.CollegeCount(
            name=college.name if college else "Sans collège",
            weight=Decimal(college.vote_weight) if college else Decimal(1),
            members=c["members"], present=c["present"], represented=c["represented"]))
    return out


def quorum_for(event: Event) -> quorum.QuorumResult:
    """The assembly's quorum: every member called, whoever looks (one legal figure)."""
    return quorum.compute(college_counts(event),
                          quorum.required_fraction(event.kind, event.convocation_number))


# --- attendance sheet and timeline moments ----------------------------------


def sheet(event: Event, user=None) -> list[dict]:
    """The attendance sheet: every invited member (the user may see) with what happened."""
    seen = scoping.seen_by(user) if user is not None else None
    rows = db.session.execute(scoping.only_seen(
        select(Member, Attendance)
        .join(Invitation, Invitation.member_id == Member.id)
        .outerjoin(Attendance, (Attendance.member_id == Member.id)
                   & (Attendance.event_id == event.id))
        .where(Invitation.event_id == event.id),
        Member.id, user, anonymised=True)
        .order_by(Member.last_name, Member.first_name, Member.id)).all()
    # The sheet is a legal record (R225-95): an erased member keeps their name on it, from
    # legal_identities, until its retention ends; then the pseudonym.
    kept = legal.kept_identities([m.id for m, _ in rows if m.anonymised_dt is not None],
                                 clock.today())
    out = []
    for member, att in rows:
        weight = member.college.vote_weight if member.college else Decimal(1)
        who = kept.get(member.id, member)
        out.append({
            "member": member,
            "last_name": who.last_name, "first_name": who.first_name,
            "address": ", ".join(p for p in (who.address,
                                             f"{who.postal_code} {who.city}".strip()) if p),
            "shares": member.share_count,
            "votes": quorum.votes_fr(weight) if member.status == "cooperateur" else "0",
            "status": att.label_for(seen) if att else "Absent",
            "attendance": att,
        })
    return out


def _moment_type(event: Event):
    from coopcrm.journeys.models import MomentType

    if event.is_ag:
        found = db.session.scalar(select(MomentType).where(MomentType.code == AG_MOMENT_CODE,
                                                           MomentType.active.is_(True)))
        if found is not None:
            return found
    found = db.session.scalar(select(MomentType).where(MomentType.code == EVENT_MOMENT_CODE))
    if found is None:  # our own type, created once (idempotent seed)
        found = MomentType(code=EVENT_MOMENT_CODE, label=EVENT_MOMENT_LABEL, track="both",
                           position=210, repeatable=True, active=True)
        db.session.add(found)
        db.session.flush()
    return found


def record_moments(event: Event, user=None, now: datetime | None = None) -> int:
    """Write each attendance to the member's timeline as a done moment, once; how many.

    `now` (a job's) is when they are written; by default, the clock.
    """
    from coopcrm.journeys import services as journeys

    pending = list(db.session.scalars(select(Attendance).where(
        Attendance.event_id == event.id, Attendance.moment_id.is_(None))))
    if not pending:
        return 0
    moment_type = _moment_type(event)
    now = now or clock.now()
    day = min(event.start_date, clock.day_of(now))
    n = 0
    for att in pending:
        member = att.member
        note = f"{event.title} : {att.label.lower()}"
        try:
            moment = journeys.record(member, moment_type, status="done", occurs_on=day,
                                     channel="evenement", notes=note, user=user, now=now)
        except ValidationFailed:
            continue  # an anonymised member, a type off their track: nothing to note
        att.moment_id = moment.id
        n += 1
    db.session.flush()
    return n


# --- participation ----------------------------------------------------------


def participation_by_college(event: Event, user=None) -> list[dict]:
    """'Salariés : 21 sur 35' for one event (of the members the user may see)."""
    return [{"name": c.name, "members": c.members, "present": c.present,
             "represented": c.represented} for c in college_counts(event, user)]


def participation_by_year(kinds=("ag_ordinaire", "ag_extraordinaire"), user=None) -> list[dict]:
    """Year over year: AGs held, members called, present, represented (with a user: the AGs
    and the members they may see)."""
    query = select(Event).where(Event.kind.in_(kinds), Event.cancelled_dt.is_(None))
    if user is not None:
        query = scoping.owned(query, Event, user)
    events = list(db.session.scalars(query.order_by(Event.starts_dt)))
    by_year: dict[int, dict] = {}
    for event in events:
        if event.starts_dt > clock.now():
            continue
        year = event.start_date.year
        row = by_year.setdefault(year, {"year": year, "events": 0, "called": 0, "present": 0,
                                        "represented": 0})
        row["events"] += 1
        row["called"] += db.session.scalar(scoping.only_seen(
            select(func.count()).select_from(Invitation).where(Invitation.event_id == event.id),
            Invitation.member_id, user)) or 0
        for status, n in db.session.execute(scoping.only_seen(
                select(Attendance.status, func.count()).where(Attendance.event_id == event.id),
                Attendance.member_id, user).group_by(Attendance.status)):
            row[status] += n
    return [by_year[y] for y in sorted(by_year)]


def series_participation(series, user=None) -> tuple[list[dict], list[dict]]:
    """Per session (present / said yes) and per member across the series (sessions attended);
    with a user, the sessions and the members they may see."""
    sessions = []
    events = [e for e in series.sessions if user is None or scoping.is_visible(user, e)]
    for event in events:
        present = db.session.scalar(scoping.only_seen(
            select(func.count()).select_from(Attendance).where(
                Attendance.event_id == event.id, Attendance.status == "present"),
            Attendance.member_id, user)) or 0
        yes = db.session.scalar(scoping.only_seen(
            select(func.count()).select_from(Invitation).where(
                Invitation.event_id == event.id, Invitation.response == "yes"),
            Invitation.member_id, user)) or 0
        sessions.append({"event": event, "present": present, "yes": yes})
    ids = [e.id for e in events]
    members = []
    if ids:
        rows = db.session.execute(scoping.only_seen(
            select(Member, func.count(Attendance.id))
            .join(Attendance, Attendance.member_id == Member.id)
            .where(Attendance.event_id.in_(ids), Attendance.status == "present"),
            Member.id, user)
            .group_by(Member.id).order_by(func.count(Attendance.id).desc(), Member.last_name))
        members = [{"member": m, "sessions": n} for m, n in rows]
    return sessions, members


def member_events(member: Member, user=None) -> list[dict]:
    """The member page: events (the user may see) they were invited to, their answer and
    attendance."""
    query = (select(Invitation, Event, Attendance)
             .join(Event, Event.id == Invitation.event_id)
             .outerjoin(Attendance, (Attendance.event_id == Event.id)
                        & (Attendance.member_id == Invitation.member_id))
             .where(Invitation.member_id == member.id))
    if user is not None:
        query = scoping.owned(query, Event, user)
    rows = db.session.execute(query.order_by(Event.starts_dt.desc()).limit(50)).all()
    seen = scoping.seen_by(user) if user is not None else None
    return [{"invitation": i, "event": e, "attendance": a,
             "attendance_label": a.label_for(seen) if a is not None else None}
            for i, e, a in rows]
