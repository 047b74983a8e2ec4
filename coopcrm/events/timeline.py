"""An event's timeline, computed from its date, and the steps the scheduler runs.

AG: consent frozen D-35, save-the-date D-30, convocation on its day (at least
D-15, D-10 on a second convocation), reminder D-7, thanks the day after.
Other events: invitations on their day (at least D-7), reminder D-2, thanks.
Each step runs once: its EventStep row (unique per event and step) is written
in the transaction that queues its emails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, select

from coopcrm import clock, fr
from coopcrm.errors import ValidationFailed
from coopcrm.events import services
from coopcrm.events.models import Attendance, Event, EventStep, Invitation
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy.models import ConsentRecord
from coopcrm.sending.services import enqueue_many

CONSENT_FREEZE_DAYS = 35
SAVE_THE_DATE_DAYS = 30
REMINDER_DAYS = {True: 7, False: 2}  # AG / other events
THANKS_WINDOW = timedelta(days=30)  # thanks later than this would read oddly: skipped
# How far back the job still looks: a step missed for weeks is still recorded (moments
# written, thanks skipped) rather than left undone.
LOOKBACK = timedelta(days=90)

STEP_LABELS = {
    "consent_freeze": "Consentements à la convocation électronique arrêtés (J-35)",
    "save_the_date": "« À vos agendas » (J-30)",
    "convocation": "Convocation",
    "invitation": "Invitations",
    "reminder": "Rappel",
    "thanks": "Remerciements et avis",
}


@dataclass(frozen=True)
class PlannedStep:
    step: str
    day: date
    due_dt: datetime

    @property
    def label(self) -> str:
        return STEP_LABELS[self.step]


def plan(event: Event) -> list[PlannedStep]:
    """The event's steps with their dates, in order."""
    d = event.start_date
    send_on = event.send_on or services.default_send_on(event.kind, d, event.convocation_number)
    days: list[tuple[str, date]] = []
    if event.is_ag:
        days += [("consent_freeze", d - timedelta(days=CONSENT_FREEZE_DAYS)),
                 ("save_the_date", d - timedelta(days=SAVE_THE_DATE_DAYS)),
                 ("convocation", send_on)]
    else:
        days.append(("invitation", send_on))
    days += [("reminder", d - timedelta(days=REMINDER_DAYS[event.is_ag])),
             ("thanks", event.ends_dt.astimezone(clock.PARIS).date() + timedelta(days=1))]
    return [PlannedStep(s, day, services.send_time(day)) for s, day in days]


def done_steps(event: Event) -> dict[str, EventStep]:
    return {s.step: s for s in db.session.scalars(
        select(EventStep).where(EventStep.event_id == event.id))}


# --- consent as it stood at D-35 --------------------------------------------


def consent_cutoff(event: Event) -> datetime:
    """End of the day D-35 (Paris): consents given that day still count."""
    day = event.start_date - timedelta(days=CONSENT_FREEZE_DAYS - 1)
    return datetime.combine(day, datetime.min.time(), tzinfo=clock.PARIS)


def econvocation_at(member_ids: list[int], cutoff: datetime) -> dict[int, bool]:
    """Each member's consent to electronic convocation as it stood at `cutoff`.

    From the consent history; a member with no history counts on the member
    record only when its consent date is known and before the cutoff.
    """
    out = {mid: False for mid in member_ids}
    if not member_ids:
        return out
    with_history = set()
    for chunk in _chunks(member_ids):
        rows = db.session.execute(
            select(ConsentRecord.member_id, ConsentRecord.granted)
            .where(ConsentRecord.member_id.in_(chunk), ConsentRecord.kind == "econvocation",
                   ConsentRecord.recorded_dt < cutoff)
            .order_by(ConsentRecord.member_id, ConsentRecord.recorded_dt, ConsentRecord.id))
        for mid, granted in rows:
            out[mid] = bool(granted)  # the last one before the cutoff wins
            with_history.add(mid)
        later = set(db.session.scalars(
            select(ConsentRecord.member_id).where(ConsentRecord.member_id.in_(chunk),
                                                  ConsentRecord.kind == "econvocation")))
        rest = [m for m in chunk if m not in with_history and m not in later]
        if rest:
            for mid, consent, when in db.session.execute(
                    select(Member.id, Member.econvocation_consent, Member.econvocation_consent_dt)
                    .where(Member.id.in_(rest))):
                out[mid] = bool(consent and when is not None and when < cutoff)
    return out


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def freeze_consents(event: Event, now: datetime) -> int:
    """Write on each invitation its D-35 consent, once; how many were frozen `now`."""
    services.ensure_invitations(event, now)
    open_ = list(db.session.scalars(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.econvocation.is_(None))))
    consents = econvocation_at([i.member_id for i in open_], consent_cutoff(event))
    for inv in open_:
        inv.econvocation = consents[inv.member_id]
    db.session.flush()
    return len(open_)


# --- running the steps ------------------------------------------------------


def run(event: Event, now: datetime) -> list[str]:
    """Run every step of `event` due as of `now` and not yet done; the steps run."""
    if event.cancelled_dt is not None:
        return []
    done = done_steps(event)
    ran = []
    for planned in plan(event):
        if planned.step in done or planned.due_dt > now:
            continue
        row = EventStep(event_id=event.id, step=planned.step, due_dt=planned.due_dt, done_dt=now)
        db.session.add(row)
        db.session.flush()  # the row first: a second run stops on it
        _STEPS[planned.step](event, row, now)
        done[planned.step] = row
        ran.append(planned.step)
    return ran


def due_events(now: datetime) -> list[Event]:
    """Events whose timeline may still have something to do as of `now`."""
    return list(db.session.scalars(
        select(Event).where(Event.cancelled_dt.is_(None),
                            Event.starts_dt > now - LOOKBACK,
                            Event.starts_dt < now + timedelta(days=CONSENT_FREEZE_DAYS + 1))
        .order_by(Event.starts_dt)))


def _members(event: Event, where=()) -> list[Member]:
    return list(db.session.scalars(
        select(Member).join(Invitation, Invitation.member_id == Member.id)
        .where(Invitation.event_id == event.id, Member.anonymised_dt.is_(None), *where)
        .order_by(Member.id)))


def _key(event: Event, step: str):
    return lambda m: f"event:{event.id}:{step}:member:{m.id}"


def _step_consent_freeze(event: Event, row: EventStep, now: datetime) -> None:
    row.count = freeze_consents(event, now)


def _step_save_the_date(event: Event, row: EventStep, now: datetime) -> None:
    convocation_dt = services.send_time(event.send_on) if event.send_on else event.starts_dt
    if now >= convocation_dt:
        row.outcome, row.note = "skipped", "La convocation était déjà due : non envoyé."
        return
    services.ensure_invitations(event, now)
    row.count = enqueue_many("event_save_the_date", _members(event), _key(event, "save-the-date"),
                             shared=services.email_context(event, now=now), now=now)


def _send_with_links(event: Event, template: str, step: str, members: list[Member],
                     now: datetime) -> int:
    tokens = services.rsvp_tokens(event, [m.id for m in members], now)
    return enqueue_many(template, members, _key(event, step),
                        lambda m: {"rsvp_url": services.rsvp_url(tokens[m.id])},
                        shared=services.email_context(event, now=now), now=now)


def _step_convocation(event: Event, row: EventStep, now: datetime) -> None:
    if now >= event.starts_dt:
        row.outcome, row.note = "skipped", "L'AG avait commencé : convocation non envoyée."
        return
    freeze_consents(event, now)
    by_email, by_post = [], 0
    invs = {i.member_id: i for i in db.session.scalars(
        select(Invitation).where(Invitation.event_id == event.id))}
    for member in _members(event):
        inv = invs[member.id]
        if inv.econvocation and member.has_deliverable_email:
            inv.channel = "email"
            by_email.append(member)
        else:
            inv.channel = "courrier"
            by_post += 1
    sent = _send_with_links(event, "convocation", "convocation", by_email, now)
    deadline = services.convocation_deadline(event.start_date, event.convocation_number)
    row.count = sent
    row.note = f"{len(by_email)} par email, {by_post} par courrier."
    if clock.day_of(now) > deadline:
        row.outcome = "late"
        row.note += (f" Envoyée après le {fr.date(deadline)} : hors délai statutaire, "
                     "vérifiez la validité de l'AG.")


def _step_invitation(event: Event, row: EventStep, now: datetime) -> None:
    if now >= event.starts_dt:
        row.outcome, row.note = "skipped", "L'événement avait commencé : non envoyé."
        return
    services.ensure_invitations(event, now)
    row.count = _send_with_links(event, "event_invitation", "invitation", _members(event), now)


def _step_reminder(event: Event, row: EventStep, now: datetime) -> None:
    if now >= event.starts_dt:
        row.outcome, row.note = "skipped", "L'événement avait commencé : rappel non envoyé."
        return
    if event.is_ag:  # the email channel only: the others were convoked by letter
        where = (Invitation.channel == "email", Invitation.response != "no")
    else:
        # Not the waiting list: "c'est bientôt" would read as a place they do not have.
        where = (Invitation.response.in_(("yes", "pending")), Invitation.waitlisted.is_(False))
    row.count = _send_with_links(event, "event_reminder", "reminder", _members(event, where),
                                 now)


def _step_thanks(event: Event, row: EventStep, now: datetime) -> None:
    from coopcrm.events import checkin

    checkin.record_moments(event, now=now)
    if now > row.due_dt + THANKS_WINDOW:
        row.outcome, row.note = "skipped", "Plus d'un mois après l'événement : non envoyé."
        return
    present_ids = set(db.session.scalars(select(Attendance.member_id).where(
        Attendance.event_id == event.id, Attendance.status == "present")))
    if event.is_ag:
        absent_where: tuple[ColumnElement[bool], ...] = ()
    else:  # a workshop thanks those who had said they would come, not the whole audience
        absent_where = (Invitation.response == "yes", Invitation.waitlisted.is_(False))
    present = [m for m in _members(event) if m.id in present_ids]
    absent = [m for m in _members(event, absent_where) if m.id not in present_ids]
    n = _thanks(event, "present", present, now) + _thanks(event, "absent", absent, now)
    row.count = n
    row.note = f"{len(present)} présent(s), {len(absent)} absent(s)."


def _thanks(event: Event, who: str, members: list[Member], now: datetime) -> int:
    if not members:
        return 0
    template = f"event_thanks_{who}"
    context = services.email_context(event, calendar=False)
    if event.feedback_survey is not None:
        from coopcrm.surveys import services as surveys

        return surveys.invite(event.feedback_survey, members,
                              key_prefix=f"event:{event.id}:thanks-{who}", template=template,
                              extra_context=context, url_name="feedback_url", now=now) or 0
    return enqueue_many(template, members, _key(event, f"thanks-{who}"), shared=context, now=now)


_STEPS = {
    "consent_freeze": _step_consent_freeze,
    "save_the_date": _step_save_the_date,
    "convocation": _step_convocation,
    "invitation": _step_invitation,
    "reminder": _step_reminder,
    "thanks": _step_thanks,
}


def schedule_fr(event: Event) -> list[dict]:
    """The timeline for the event page: each step, its day, and what happened."""
    done = done_steps(event)
    return [{"label": p.label, "day": p.day, "step": p.step, "done": done.get(p.step)}
            for p in plan(event)]


def check_convocation_day(event: Event, day: date) -> None:
    """ValidationFailed (French) if a convocation on `day` would be late."""
    deadline = services.convocation_deadline(event.start_date, event.convocation_number)
    if day > deadline:
        raise ValidationFailed({"send_on": f"Convocation trop tardive : au plus tard le "
                                           f"{fr.date(deadline)}."})
