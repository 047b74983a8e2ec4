"""Demo events: next June's AG, last June's AG with its attendance, a cycle of workshops."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from coopcrm import clock, fr
from coopcrm.auth.models import User
from coopcrm.events import services, timeline
from coopcrm.events.models import Attendance, Event, EventStep, Invitation
from coopcrm.events.votes import services as votes
from coopcrm.extensions import db
from coopcrm.members.models import Residence

AGENDA = ("<ol><li>Rapport d'activité et rapport moral</li><li>Approbation des comptes</li>"
          "<li>Affectation du résultat</li><li>Élection des administrateurs</li>"
          "<li>Questions diverses</li></ol>")
RESOLUTIONS = ("Approbation des comptes de l'exercice", "Affectation du résultat",
               "Quitus aux administrateurs", "Renouvellement du mandat de deux administrateurs")
SERIES_TITLE = "Ateliers jardinage sur le toit"
SESSIONS = 11


def _third_thursday(year: int, month: int = 6) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.PARIS).astimezone(UTC)


def load_demo(now: datetime | None = None, random_seed: int = 2026) -> str:
    """Create the demo events once (idempotent); commits. Needs the demo members and a user.

    No email is queued for the past AG (its steps are recorded as done); the
    future events' emails go out through the timeline job at their dates.
    """
    now = now or clock.now()
    rng = random.Random(random_seed)
    user = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id)) \
        or db.session.scalar(select(User).order_by(User.id))
    if user is None:
        return "Événements de démonstration : aucun utilisateur, rien chargé."
    today = now.astimezone(clock.PARIS).date()
    next_ag = _third_thursday(today.year + 1)
    title = f"Assemblée générale {next_ag.year}"
    if db.session.scalar(select(Event.id).where(Event.title == title)) is not None:
        return "Événements de démonstration déjà chargés."
    with clock.frozen(now):
        ag = services.save(services.EventData(
            kind="ag_ordinaire", title=title, starts_dt=_utc(next_ag, 18, 30),
            ends_dt=_utc(next_ag, 21, 0), place="Salle des fêtes, 12 rue des Annonciades",
            description="Un moment convivial suivi d'un apéritif.", remote=True,
            remote_url="https://visio.example/ag", agenda_html=AGENDA,
            summary="Les comptes ont été approuvés et deux administrateurs élus."), user)
        for title_ in RESOLUTIONS:
            votes.save_resolution(ag, votes.ResolutionData(None, title_, "", "ago", True))
        past = _past_ag(today, user, rng)
        workshops = _workshops(today, user)
    db.session.commit()
    return (f"Événements : {ag.title} le {fr.date(next_ag)}"
            + (f", {past.title} avec sa feuille de présence" if past else "")
            + f", cycle « {SERIES_TITLE} » de {workshops} séances.")


def _past_ag(today: date, user, rng: random.Random) -> Event | None:
    """Last June's AG, as if it had happened: invitations, answers, attendance, proxies."""
    day = _third_thursday(today.year if today.month > 6 else today.year - 1)
    title = f"Assemblée générale {day.year}"
    if db.session.scalar(select(Event.id).where(Event.title == title)) is not None:
        return None
    event = Event(kind="ag_ordinaire", title=title, starts_dt=_utc(day, 18, 30),
                  ends_dt=_utc(day, 21, 0), place="Salle des fêtes, 12 rue des Annonciades",
                  agenda_html=AGENDA, created_by_id=user.id,
                  send_on=services.convocation_deadline(day, 1))
    db.session.add(event)
    db.session.flush()
    # Its timeline already ran: record every step, so the job never sends anything for it.
    for planned in timeline.plan(event):
        db.session.add(EventStep(event_id=event.id, step=planned.step, due_dt=planned.due_dt,
                                 done_dt=planned.due_dt, outcome="skipped",
                                 note="Données de démonstration."))
    services.ensure_invitations(event)
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.event_id == event.id)
                                          .order_by(Invitation.member_id)))
    present: list[int] = []
    for inv in invitations:
        roll = rng.random()
        inv.channel = "email" if rng.random() < 0.6 else "courrier"
        inv.econvocation = inv.channel == "email"
        if roll < 0.10:
            inv.response, present_now = "yes", True
        elif roll < 0.13:
            inv.response, present_now = "proxy", False
            inv.proxy_chair = True
        elif roll < 0.30:
            inv.response, present_now = "no", False
        else:
            present_now = False
        if present_now:
            mode = "remote" if rng.random() < 0.2 else "in_person"
            db.session.add(Attendance(event_id=event.id, member_id=inv.member_id,
                                      status="present", mode=mode, recorded_dt=event.starts_dt))
            present.append(inv.member_id)
        elif inv.response == "proxy":
            db.session.add(Attendance(event_id=event.id, member_id=inv.member_id,
                                      status="represented", holder_chair=True,
                                      recorded_dt=event.starts_dt))
    db.session.flush()
    return event


def _workshops(today: date, user) -> int:
    """A cycle of 11 gardening workshops, every other Wednesday, for one residence."""
    from coopcrm.members.query import MemberFilter
    from coopcrm.segments import services as segments
    from coopcrm.segments.models import Segment

    residence = db.session.scalar(select(Residence).where(Residence.name == "Les Annonciades")) \
        or db.session.scalar(select(Residence).order_by(Residence.id))
    segment_id = None
    if residence is not None:
        name = f"Résidence {residence.name}"
        segment = db.session.scalar(select(Segment).where(Segment.name == name))
        if segment is None:
            f, _ = MemberFilter.parse({"residence": residence.id})
            segment = segments.create(name, f, user)
        segment_id = segment.id
    first = today + timedelta(days=14 + (2 - today.weekday()) % 7)
    series_id = None
    for n in range(SESSIONS):
        day = first + timedelta(days=14 * n)
        event = services.save(services.EventData(
            kind="atelier", title=f"Atelier jardinage n°{n + 1}", starts_dt=_utc(day, 14),
            ends_dt=_utc(day, 16), place="Terrasse de la résidence Les Annonciades",
            description="Semis, arrosage et récolte, en petit groupe. Gants fournis.",
            capacity=12, segment_id=segment_id, series_id=series_id,
            new_series=SERIES_TITLE if series_id is None else "",
            send_on=day - timedelta(days=10)), user)
        series_id = event.series_id
    return SESSIONS

