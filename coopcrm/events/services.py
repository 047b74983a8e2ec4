"""Events: create and edit (notice rules), audience, invitations, RSVP answers, .ics.

Every function flushes and never commits: the view or the job commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import nh3
from flask import current_app
from sqlalchemy import func, select

from coopcrm import clock, fr, plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.events.models import AG_KINDS, KINDS, Event, EventSeries, Invitation
from coopcrm.events.votes.services import ballot_of
from coopcrm.extensions import db
from coopcrm.links import services as links
from coopcrm.members import scoping
from coopcrm.members.models import Member, MemberEntity
from coopcrm.members.scoping import scope
from coopcrm.members.text import fold
from coopcrm.models import text_limit, too_long

MIN_NOTICE_DAYS = 7  # any event: members need time to organise
CONVOCATION_DELAY = {1: 15, 2: 10}  # AG: days between convocation and AG, by convocation
LINK_PURPOSE = "event"
LINK_VALIDITY = timedelta(days=60)  # after the event: the .ics and the answer stay readable
SEND_HOUR = time(9, 0)  # timeline steps go out at 09:00 Paris on their day


def send_time(day: date) -> datetime:
    """09:00 Paris on `day`, in UTC."""
    return datetime.combine(day, SEND_HOUR, tzinfo=clock.PARIS).astimezone(UTC)


def convocation_deadline(event_date: date, convocation_number: int) -> date:
    """The last day a convocation may go out for an AG on `event_date`."""
    return event_date - timedelta(days=CONVOCATION_DELAY[2 if convocation_number == 2 else 1])


def default_send_on(kind: str, event_date: date, convocation_number: int = 1) -> date:
    """The default convocation day (AG: the legal deadline) or invitation day (today)."""
    if kind in AG_KINDS:
        return convocation_deadline(event_date, convocation_number)
    return clock.today()


@dataclass
class EventData:
    """What the event form gives (already typed)."""

    kind: str
    title: str
    starts_dt: datetime | None
    ends_dt: datetime | None
    place: str = ""
    description: str = ""
    remote: bool = False
    remote_url: str = ""
    capacity: int | None = None
    segment_id: int | None = None
    series_id: int | None = None
    new_series: str = ""
    convocation_number: int = 1
    send_on: date | None = None
    agenda_html: str = ""
    summary: str = ""
    feedback_survey_id: int | None = None
    entity_id: int | None = None  # the owning entity; None: the whole group


def check(data: EventData, event: Event | None = None) -> dict[str, str]:
    """French messages for every problem in `data`; empty when it can be saved."""
    errors: dict[str, str] = {}
    today = clock.today()
    if data.kind not in KINDS:
        errors["kind"] = "Choisissez le type d'événement."
    title = (data.title or "").strip()
    if not title:
        errors["title"] = "Donnez un titre à l'événement."
    elif len(title) > (limit := text_limit(Event, "title")):
        errors["title"] = too_long(limit)
    if data.starts_dt is None:
        errors["starts_dt"] = "Indiquez la date et l'heure de début."
    if data.ends_dt is None:
        errors["ends_dt"] = "Indiquez l'heure de fin."
    elif data.starts_dt is not None and data.ends_dt <= data.starts_dt:
        errors["ends_dt"] = "La fin doit venir après le début."
    if data.remote and not (data.remote_url or "").startswith(("https://", "http://")):
        errors["remote_url"] = "Indiquez l'adresse (https://…) de la réunion à distance."
    if data.capacity is not None and data.capacity <= 0:
        errors["capacity"] = "Le nombre de places doit être positif (laissez vide : sans limite)."
    if data.convocation_number not in (1, 2):
        errors["convocation_number"] = "Première ou deuxième convocation ?"
    errors.update(plaintext.problems(
        lines={"title": data.title, "place": data.place, "remote_url": data.remote_url,
               "new_series": data.new_series},
        texts={"description": data.description, "agenda_html": data.agenda_html,
               "summary": data.summary}))
    if errors or data.starts_dt is None:
        return errors

    event_date = data.starts_dt.astimezone(clock.PARIS).date()
    moved = event is None or event.starts_dt != data.starts_dt
    already_sent = event is not None and _first_send_done(event)
    if moved and (event_date - today).days < MIN_NOTICE_DAYS:
        earliest = today + timedelta(days=MIN_NOTICE_DAYS)
        errors["starts_dt"] = (f"Prévenez au moins {MIN_NOTICE_DAYS} jours à l'avance : "
                               f"date au plus tôt le {fr.date(earliest)}.")
        return errors
    send_on = data.send_on or default_send_on(data.kind, event_date, data.convocation_number)
    if data.kind in AG_KINDS:
        delay = CONVOCATION_DELAY[data.convocation_number]
        deadline = convocation_deadline(event_date, data.convocation_number)
        if not already_sent and deadline < today:
            errors["starts_dt"] = (
                f"Trop tard pour convoquer dans les délais : la convocation doit partir au moins "
                f"{delay} jours avant l'AG. Choisissez une AG le "
                f"{fr.date(today + timedelta(days=delay))} ou plus tard.")
        elif send_on > deadline:
            errors["send_on"] = (
                f"Convocation trop tardive : elle doit partir au moins {delay} jours avant l'AG, "
                f"soit au plus tard le {fr.date(deadline)}.")
        elif not already_sent and send_on < today:
            errors["send_on"] = "La date d'envoi de la convocation est passée."
    else:
        latest = event_date - timedelta(days=MIN_NOTICE_DAYS)
        if send_on > latest:
            errors["send_on"] = (f"Les invitations doivent partir au moins {MIN_NOTICE_DAYS} jours "
                                 f"avant, soit au plus tard le {fr.date(latest)}.")
        elif not already_sent and send_on < today:
            errors["send_on"] = "La date d'envoi des invitations est passée."
    return errors


def _first_send_done(event: Event) -> bool:
    return any(s.step in ("convocation", "invitation") for s in event.steps)


def _check_choices(data: EventData, user) -> dict[str, str]:
    """What the pickers posted, held to what the user may see and give (members.scoping)."""
    from coopcrm.segments.models import Segment
    from coopcrm.surveys.models import Survey

    errors = {}
    try:
        scoping.checked_owner(user, data.entity_id)
    except ValidationFailed as refused:
        errors.update(refused.errors)
    if data.segment_id is not None and scoping.find_owned(Segment, data.segment_id, user) is None:
        errors["segment_id"] = "Choisissez les invités dans la liste."
    if data.feedback_survey_id is not None \
            and scoping.find_owned(Survey, data.feedback_survey_id, user) is None:
        errors["feedback_survey_id"] = "Choisissez le questionnaire dans la liste."
    if data.series_id is not None and find_series(user, data.series_id) is None:
        errors["series_id"] = "Choisissez le cycle dans la liste."
    return errors


def save(data: EventData, user, event: Event | None = None) -> Event:
    """Create or update an event; ValidationFailed with French messages.

    With a user (not the demo), the owner, the segment and the survey chosen must be
    theirs to give and see (members.scoping)."""
    errors = check(data, event)
    if user is not None:
        errors = {**_check_choices(data, user), **errors}
    if errors:
        raise ValidationFailed(errors)
    series_id = data.series_id
    if data.new_series.strip():
        series = EventSeries(title=data.new_series.strip()[:200])
        db.session.add(series)
        db.session.flush()
        series_id = series.id
    if event is None:
        event = Event(created_by_id=user.id if user is not None else None)
    event.series_id = series_id
    # check() refused a missing start or end
    assert data.starts_dt is not None and data.ends_dt is not None
    event_date = data.starts_dt.astimezone(clock.PARIS).date()
    event.kind = data.kind
    event.title = data.title.strip()
    event.description = (data.description or "").strip()
    event.starts_dt, event.ends_dt = data.starts_dt, data.ends_dt
    event.place = (data.place or "").strip()
    event.remote = bool(data.remote)
    event.remote_url = (data.remote_url or "").strip() if data.remote else ""
    event.capacity = data.capacity
    event.segment_id = data.segment_id
    event.convocation_number = data.convocation_number if data.kind in AG_KINDS else 1
    event.send_on = data.send_on or default_send_on(data.kind, event_date, data.convocation_number)
    event.agenda_html = nh3.clean(data.agenda_html or "")
    event.summary = (data.summary or "").strip()
    event.feedback_survey_id = data.feedback_survey_id
    event.entity_id = data.entity_id
    db.session.add(event)
    db.session.flush()
    return event


def cancel(event: Event) -> None:
    """Cancel: no further step runs; links stop working."""
    event.cancelled_dt = clock.now()
    db.session.flush()


# --- audience ---------------------------------------------------------------


def audience_ids(event: Event) -> list[int]:
    """Members called: the segment (or every coopérateur), as its creator may see them,
    of the event's entity only when it has one (members.scoping.audience).

    An AG calls coopérateurs only (holders of a share).
    """
    from coopcrm.segments import services as segments

    user = event.created_by
    if event.segment is not None and user is not None:
        query = segments.member_ids(event.segment, user)
    else:
        query = select(Member.id).where(Member.anonymised_dt.is_(None))
        if user is not None:
            query = scope(select(Member.id), user)
        query = query.where(Member.status == "cooperateur")
    if event.is_ag:
        query = query.where(Member.status == "cooperateur")
    return list(db.session.scalars(query.where(*scoping.audience(event))))


def ensure_invitations(event: Event, now: datetime | None = None) -> int:
    """An invitation row for each member of the audience not invited yet; how many added.

    `now` (a job's) dates the new rows; by default, the clock.
    """
    have = set(db.session.scalars(select(Invitation.member_id)
                                  .where(Invitation.event_id == event.id)))
    now = now or clock.now()
    new = [{"event_id": event.id, "member_id": mid, "response": "pending", "waitlisted": False,
            "proxy_chair": False, "proxy_name": "", "created_dt": now}
           for mid in audience_ids(event) if mid not in have]
    if new:
        db.session.execute(Invitation.__table__.insert(), new)
    return len(new)


def invitations(event: Event) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).join(Member, Member.id == Invitation.member_id)
        .where(Invitation.event_id == event.id)
        .order_by(Member.last_name, Member.first_name, Member.id)))


def response_counts(event: Event, user=None) -> dict[str, int]:
    """The answers so far, of the invited members the user may see (all without a user)."""
    rows = db.session.execute(scoping.only_seen(
        select(Invitation.response, Invitation.waitlisted, func.count())
        .where(Invitation.event_id == event.id), Invitation.member_id, user)
        .group_by(Invitation.response, Invitation.waitlisted))
    out = {"pending": 0, "yes": 0, "no": 0, "proxy": 0, "waitlisted": 0, "total": 0}
    for response, waitlisted, n in rows:
        out["waitlisted" if response == "yes" and waitlisted else response] += n
        out["total"] += n
    return out


def rsvp_tokens(event: Event, member_ids: list[int],
                now: datetime | None = None) -> dict[int, str]:
    """A fresh personal link token per member for this event (stored hashed), issued `now`."""
    expires = event.ends_dt + LINK_VALIDITY
    raws = links.issue_many(({"member_id": mid, "purpose": LINK_PURPOSE, "subject_id": event.id,
                              "expires_dt": expires} for mid in member_ids), now)
    return dict(zip(member_ids, raws, strict=True))


def rsvp_url(raw: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/e/" + raw


def email_context(event: Event, calendar: bool = True, now: datetime | None = None) -> dict:
    """Template variables common to every email of the event (with its .ics unless after it).

    `now` (a job's) is when the .ics is made; by default, the clock.
    """
    from coopcrm.sending.services import ATTACHMENTS

    context = {"event_title": event.title, "event_start": event.starts_dt,
               "event_place": event.place, "details": event.description,
               "agenda_html": event.agenda_html, "summary": event.summary,
               "is_ag": event.is_ag,
               # The convocation lists what is put to the vote (issue 15).
               "resolutions": [{"number": r.position, "title": r.title,
                                "majority": r.majority_short} for r in event.resolutions]}
    if calendar:
        context[ATTACHMENTS] = [{"filename": "evenement.ics",
                                 "content_type": "text/calendar; charset=utf-8; method=PUBLISH",
                                 "data": ics(event, now)}]
    return context


# --- the member's answer (RSVP page) ----------------------------------------


def invitation_for_token(raw: str | None) -> Invitation | None:
    """The invitation a personal link opens, or None (bad, expired, other purpose, cancelled)."""
    token = links.resolve(raw, LINK_PURPOSE)
    if token is None or token.subject_id is None:
        return None
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.event_id == token.subject_id, Invitation.member_id == token.member_id))
    if invitation is None or invitation.event.cancelled_dt is not None:
        return None
    if invitation.member.anonymised_dt is not None:
        return None
    return invitation


def confirmed_count(event: Event) -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.event_id == event.id, Invitation.response == "yes",
        Invitation.waitlisted.is_(False))) or 0


def waitlist_position(invitation: Invitation) -> int | None:
    if not (invitation.response == "yes" and invitation.waitlisted):
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.event_id == invitation.event_id, Invitation.response == "yes",
        Invitation.waitlisted.is_(True), Invitation.responded_dt < invitation.responded_dt))
    return (ahead or 0) + 1


def answer(invitation: Invitation, response: str, proxy_text: str = "",
           proxy_chair: bool = False) -> Invitation:
    """Record the member's answer; frees or takes a place, fills the waiting list."""
    event = invitation.event
    if event.starts_dt <= clock.now():
        raise ValidationFailed({"response": "L'événement a commencé : il n'est plus possible de "
                                            "changer de réponse en ligne."})
    if response not in ("yes", "no", "proxy") or (response == "proxy" and not event.is_ag):
        raise ValidationFailed({"response": "Choisissez une réponse."})
    was_confirmed = invitation.response == "yes" and not invitation.waitlisted
    if response == "proxy":
        if ballot_of(event, invitation.member_id) is not None:
            raise ValidationFailed({"response": "Vous avez voté par correspondance : on ne peut "
                                                "pas à la fois voter et donner pouvoir."})
        _set_proxy(invitation, proxy_text, proxy_chair)
    else:
        invitation.proxy_member_id, invitation.proxy_chair, invitation.proxy_name = None, False, ""
    if response == "yes" and was_confirmed:
        return invitation  # same answer again: keep the place and the time it was taken
    invitation.response = response
    invitation.responded_dt = clock.now()
    invitation.waitlisted = False
    db.session.flush()
    if response == "yes" and event.capacity is not None:
        # Counting after the flush includes this answer: over capacity means waiting list.
        if confirmed_count(event) > event.capacity:
            invitation.waitlisted = True
    if was_confirmed and response != "yes":
        _promote(event)
    db.session.flush()
    return invitation


def _promote(event: Event) -> None:
    """Give freed places to the waiting list, first come first served."""
    if event.capacity is None:
        return
    free = event.capacity - confirmed_count(event)
    if free <= 0:
        return
    for inv in db.session.scalars(select(Invitation).where(
            Invitation.event_id == event.id, Invitation.response == "yes",
            Invitation.waitlisted.is_(True)).order_by(Invitation.responded_dt).limit(free)):
        inv.waitlisted = False


def _set_proxy(invitation: Invitation, text: str, chair: bool) -> None:
    if (problem := plaintext.line_problem(text)) is not None:
        raise ValidationFailed({"proxy_name": problem})
    text = " ".join((text or "").split())[:200]
    if chair:
        invitation.proxy_chair, invitation.proxy_member_id, invitation.proxy_name = True, None, ""
        return
    if not text:
        raise ValidationFailed({"proxy_name": "Indiquez le nom ou la référence du coopérateur "
                                              "qui vous représentera, ou choisissez le président."})
    invitation.proxy_chair = False
    invitation.proxy_name = text
    # The member is told the same thing whether or not the name matched: the page
    # must not become a way to find out who is a coopérateur.
    invitation.proxy_member_id = match_member(invitation.event, text,
                                              exclude=invitation.member_id)


def match_member(event: Event, text: str, exclude: int | None = None) -> int | None:
    """The one invited member whose name (either order) or reference is `text`, else None."""
    wanted = fold(text)
    if not wanted:
        return None
    rows = db.session.execute(
        select(Member.id, Member.first_name, Member.last_name)
        .join(Invitation, Invitation.member_id == Member.id)
        .where(Invitation.event_id == event.id, Member.anonymised_dt.is_(None))).all()
    found = {mid for mid, first, last in rows
             if wanted in (fold(f"{first} {last}"), fold(f"{last} {first}"))}
    refs = db.session.scalars(
        select(MemberEntity.member_id)
        .join(Invitation, Invitation.member_id == MemberEntity.member_id)
        .where(Invitation.event_id == event.id,
               func.lower(MemberEntity.reference) == wanted))
    found |= set(refs)
    found.discard(exclude)
    return found.pop() if len(found) == 1 else None


# --- calendar file ----------------------------------------------------------


# Every line break form a calendar reader might split on: CRLF, LF, bare CR, VT, FF,
# NEL and the Unicode line/paragraph separators (what str.splitlines() knows).
_ICS_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# RFC 5545 TEXT holds no other control character (tab excepted).
_ICS_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, `;` and `,` escaped, every line break as `\\n`."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _ICS_CONTROL.sub("", _ICS_BREAK.sub("\\\\n", value))


def _ics_fold(line: str) -> str:
    """RFC 5545: lines of at most 75 octets, continued with a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += b
    parts.append(current.decode())
    return "\r\n ".join(parts)


def ics(event: Event, now: datetime | None = None) -> str:
    """The event as an iCalendar file (UTC times), made `now` (by default, the clock)."""
    def stamp(dt: datetime) -> str:
        return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    host = current_app.config["BASE_URL"].split("//")[-1].split("/")[0] or "coopcrm"
    location = event.place
    if event.remote and event.remote_url:
        location = f"{location} / à distance : {event.remote_url}" if location else event.remote_url
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CoopCRM//Evenements//FR",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}", f"DTSTAMP:{stamp(now or clock.now())}",
        f"DTSTART:{stamp(event.starts_dt)}", f"DTEND:{stamp(event.ends_dt)}",
        f"SUMMARY:{_ics_text(event.title)}",
    ]
    if location:
        lines.append(f"LOCATION:{_ics_text(location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{_ics_text(event.description)}")
    if event.cancelled_dt is not None:
        lines.append("STATUS:CANCELLED")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


def all_series(user=None) -> list[EventSeries]:
    """The series, by title; with a user, those with a session they may see (or none yet)."""
    found = list(db.session.scalars(select(EventSeries).order_by(EventSeries.title)))
    return [s for s in found if user is None or _series_visible(s, user)]


def _series_visible(series: EventSeries, user) -> bool:
    # A series has no owner of its own: it is seen where one of its sessions is.
    return not series.sessions or any(scoping.is_visible(user, e) for e in series.sessions)


def find_series(user, series_id: int | None) -> EventSeries | None:
    """The series, if the user may see it (one of its sessions, or none yet)."""
    series = db.session.get(EventSeries, series_id) if series_id is not None else None
    return series if series is not None and _series_visible(series, user) else None
