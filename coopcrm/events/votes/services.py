"""AG votes: resolutions, opening the vote (the voters' snapshot), postal forms, in-room
totals, and the results through the majority engine.

Every function flushes and never commits: the view commits. Time is an input (`now`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from flask import current_app
from sqlalchemy import delete, func, select

from coopcrm import plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.events.models import MAJORITIES, Attendance, Event, Invitation, Resolution
from coopcrm.events.votes import majority, statutes
from coopcrm.events.votes.models import (
    NO_COLLEGE,
    EventVoter,
    PostalBallot,
    PostalChoice,
    RoomTally,
)
from coopcrm.extensions import db
from coopcrm.members.models import College, Member
from coopcrm.models import text_limit, too_long

# R225-77: forms received by the company at least three days before the meeting count.
DEFAULT_POSTAL_DAYS = 3
PROXY_AND_POSTAL = ("a donné pouvoir : on ne peut pas à la fois donner pouvoir et voter par "
                    "correspondance.")


# --- resolutions ------------------------------------------------------------


@dataclass
class ResolutionData:
    number: int | None
    title: str
    text: str
    majority: str
    board: bool


def _has_votes(resolution: Resolution) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(PostalChoice).where(
        PostalChoice.resolution_id == resolution.id)) or db.session.scalar(
        select(func.count()).select_from(RoomTally).where(
            RoomTally.resolution_id == resolution.id)))


def save_resolution(event: Event, data: ResolutionData,
                    resolution: Resolution | None = None) -> Resolution:
    """Create or change a resolution of an AG; its number is unique within the AG."""
    title, text = (data.title or "").strip(), (data.text or "").replace("\r\n", "\n").strip()
    errors = plaintext.problems(lines={"title": title}, texts={"text": text})
    if not event.is_ag:
        errors["title"] = "Seule une AG a des résolutions."
    if not title:
        errors["title"] = "Ce champ est obligatoire."
    elif len(title) > (limit := text_limit(Resolution, "title")):
        errors["title"] = too_long(limit)
    if data.majority not in MAJORITIES:
        errors["majority"] = "Choisissez AGO ou AGE."
    number = data.number or (max((r.position for r in event.resolutions), default=0) + 1)
    if number < 1:
        errors["number"] = "Le numéro commence à 1."
    elif any(r.position == number and r is not resolution for r in event.resolutions):
        errors["number"] = "Une autre résolution porte déjà ce numéro."
    if resolution is not None and _has_votes(resolution) and (
            data.majority != resolution.majority or data.board != resolution.board):
        errors["majority"] = "Des votes sont enregistrés : la majorité ne change plus."
    if errors:
        raise ValidationFailed(errors)
    if resolution is None:
        resolution = Resolution(event=event)
        event.resolutions.append(resolution)
    resolution.position, resolution.title, resolution.text = number, title, text
    resolution.majority, resolution.board = data.majority, bool(data.board)
    db.session.flush()
    event.resolutions.sort(key=lambda r: r.position)
    return resolution


def delete_resolution(resolution: Resolution) -> None:
    """Remove a resolution no vote names yet."""
    if _has_votes(resolution):
        raise ValidationFailed({"resolution": "Des votes sont enregistrés sur cette résolution : "
                                              "elle ne peut plus être supprimée."})
    resolution.event.resolutions.remove(resolution)
    db.session.flush()


def default_majority(event: Event) -> str:
    return "age" if event.kind == "ag_extraordinaire" else "ago"


# --- the postal deadline and the form's code ---------------------------------


def postal_deadline(event: Event) -> datetime:
    """Postal forms count if received by then: the AG's own, else three days before it."""
    return event.postal_deadline_dt or event.starts_dt - timedelta(days=DEFAULT_POSTAL_DAYS)


def set_postal_deadline(event: Event, when: datetime | None) -> None:
    """The AG's own deadline for postal forms (None: the default, three days before)."""
    if event.vote_opened_dt is not None or postal_count(event):
        raise ValidationFailed({"day": "Des formulaires sont enregistrés ou le vote est ouvert : "
                                       "la date limite ne change plus."})
    if when is not None and when > event.starts_dt:
        raise ValidationFailed({"day": "La date limite précède le début de l'AG."})
    event.postal_deadline_dt = when
    db.session.flush()


def _check(event_id: int, member_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"postal:{event_id}:{member_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest)[:4].decode()


def postal_code(event: Event, member_id: int) -> str:
    """The code printed on a member's form ('1234-K7QX'): their number and a check that a
    typo or a guess does not pass."""
    return f"{member_id}-{_check(event.id, member_id)}"


def member_for_code(event: Event, code: str) -> int | None:
    """The member id a code names for this AG, or None."""
    number, _, check = (code or "").strip().upper().replace(" ", "").partition("-")
    if not number.isdigit() or len(number) > 12:
        return None
    member_id = int(number)
    return member_id if hmac.compare_digest(check, _check(event.id, member_id)) else None


# --- postal forms -----------------------------------------------------------


def gave_proxy(event: Event, member_id: int) -> bool:
    """Whether the member gave a proxy: on the RSVP page, or at the desk."""
    inv = db.session.scalar(select(Invitation.response).where(
        Invitation.event_id == event.id, Invitation.member_id == member_id))
    represented = db.session.scalar(select(Attendance.id).where(
        Attendance.event_id == event.id, Attendance.member_id == member_id,
        Attendance.status == "represented"))
    return inv == "proxy" or represented is not None


def ballot_of(event: Event, member_id: int) -> PostalBallot | None:
    return db.session.scalar(select(PostalBallot).where(PostalBallot.event_id == event.id,
                                                        PostalBallot.member_id == member_id))


def check_postal(event: Event, member: Member, choices: dict[int, str], source: str,
                 now: datetime) -> dict[int, str]:
    """The form's choices by resolution id, or ValidationFailed in French (the check screen
    and the saving ask the same)."""
    if not event.is_ag or not event.resolutions:
        raise ValidationFailed({"code": "Cette AG n'a pas de résolution à voter."})
    if now > postal_deadline(event):
        raise ValidationFailed({"code": "La date limite de réception des votes par "
                                        "correspondance est passée."})
    invited = db.session.scalar(select(Invitation.id).where(
        Invitation.event_id == event.id, Invitation.member_id == member.id))
    if invited is None or member.status != "cooperateur":
        raise ValidationFailed({"code": "Cette personne n'est pas convoquée à cette AG."})
    if gave_proxy(event, member.id):
        who = "Vous avez" if source == "online" else f"{member.full_name}"
        raise ValidationFailed({"code": f"{who} {PROXY_AND_POSTAL}"})
    found = ballot_of(event, member.id)
    if found is not None and (source == "paper" or found.source == "paper"):
        raise ValidationFailed({"code": f"Le formulaire de {member.full_name} est déjà "
                                        "enregistré." if source == "paper" else
                                "Votre formulaire papier est déjà enregistré."})
    ids = {r.id for r in event.resolutions}
    kept = {rid: c for rid, c in choices.items() if rid in ids and c in majority.CHOICES}
    if not kept:
        raise ValidationFailed({"code": "Aucun choix n'est coché sur ce formulaire."})
    return kept


def record_postal(event: Event, member: Member, choices: dict[int, str], now: datetime,
                  source: str = "paper", user=None) -> PostalBallot:
    """Save a postal form (online: replace the member's earlier one, the last choice counts)."""
    kept = check_postal(event, member, choices, source, now)
    ballot = ballot_of(event, member.id)
    if ballot is None:
        ballot = PostalBallot(event_id=event.id, member_id=member.id, source=source)
        db.session.add(ballot)
    ballot.received_dt = now
    ballot.entered_by_id = user.id if user is not None else None
    ballot.choices.clear()
    db.session.flush()  # the earlier lines go before the new ones take their (ballot, resolution)
    ballot.choices.extend(PostalChoice(resolution_id=rid, choice=c)
                          for rid, c in sorted(kept.items()))
    db.session.flush()
    return ballot


def postal_count(event: Event) -> int:
    return db.session.scalar(select(func.count()).select_from(PostalBallot).where(
        PostalBallot.event_id == event.id)) or 0


# --- opening the vote: the snapshot of the voters ----------------------------


def _shares() -> dict[str, Fraction]:
    return statutes.parse_shares(current_app.config.get("EVENTS_COLLEGE_SHARES", ""))


def open_vote(event: Event, now: datetime) -> int:
    """Freeze who may vote (the coopérateurs convoked, their college, weight and share);
    how many. Refused when the colleges' shares break the statutes."""
    if not event.is_ag:
        raise ValidationFailed({"vote": "Seule une AG vote des résolutions."})
    if event.vote_opened_dt is not None:
        raise ValidationFailed({"vote": "Le vote est déjà ouvert."})
    rows = db.session.execute(
        select(Member.id, College).join(Invitation, Invitation.member_id == Member.id)
        .outerjoin(College, College.id == Member.college_id)
        .where(Invitation.event_id == event.id, Member.status == "cooperateur")).all()
    try:
        shares = _shares()
    except ValueError as exc:
        raise ValidationFailed({"vote": f"COOPCRM_EVENTS_COLLEGE_SHARES : {exc}."}) from None
    codes = sorted({c.code for _, c in rows if c is not None}
                   | ({NO_COLLEGE} if any(c is None for _, c in rows) else set()))
    found = statutes.problems(shares, current_app.config.get("EVENTS_VOTE_STATUTES", ""), codes,
                              statutes.parse_codes(current_app.config.get(
                                  "EVENTS_USERS_COLLEGES", "")))
    if found:
        raise ValidationFailed({"vote": " ".join(found)})
    for member_id, college in rows:
        code = college.code if college is not None else NO_COLLEGE
        share = shares.get(code)
        db.session.add(EventVoter(
            event_id=event.id, member_id=member_id, college_key=code,
            college_name=college.name if college is not None else "Sans collège",
            college_position=college.position if college is not None else 9999,
            weight=college.vote_weight if college is not None else Decimal(1),
            share=Decimal(share.numerator * 100) / share.denominator if share is not None
            else None))
    event.vote_opened_dt = now
    db.session.flush()
    return len(rows)


def voter_count(event: Event) -> int:
    return db.session.scalar(select(func.count()).select_from(EventVoter).where(
        EventVoter.event_id == event.id)) or 0


# --- in-room totals (two entries) and the results ----------------------------


def colleges(event: Event) -> list[majority.College]:
    """The snapshot's colleges, in display order."""
    rows = db.session.execute(
        select(EventVoter.college_key, EventVoter.college_name, EventVoter.college_position,
               EventVoter.weight, EventVoter.share).where(EventVoter.event_id == event.id)
        .distinct()).all()
    return [majority.College(key, name, Fraction(weight),
                             Fraction(share) / 100 if share is not None else None)
            for key, name, _, weight, share in sorted(rows, key=lambda r: (r[2], r[1]))]


def assembly(event: Event) -> majority.Assembly:
    """The engine's view of the AG: snapshot, attendance, proxies, postal forms."""
    voters = dict(db.session.execute(select(EventVoter.member_id, EventVoter.college_key)
                                     .where(EventVoter.event_id == event.id)).all())
    present, proxies = set(), {}
    for member_id, status, holder_id in db.session.execute(
            select(Attendance.member_id, Attendance.status, Attendance.holder_id)
            .where(Attendance.event_id == event.id)):
        if status == "present":
            present.add(member_id)
        else:
            proxies[member_id] = holder_id
    numbers = {r.id: r.position for r in event.resolutions}
    postal: dict[int, dict[int, str]] = {}
    received = {}
    for ballot_member, ballot_dt, rid, choice in db.session.execute(
            select(PostalBallot.member_id, PostalBallot.received_dt, PostalChoice.resolution_id,
                   PostalChoice.choice)
            .join(PostalChoice, PostalChoice.ballot_id == PostalBallot.id)
            .where(PostalBallot.event_id == event.id)):
        postal.setdefault(ballot_member, {})[numbers[rid]] = choice
        received[ballot_member] = ballot_dt
    return majority.Assembly(
        tuple(colleges(event)), voters, frozenset(present), proxies,
        {m: majority.Postal(received[m], c) for m, c in postal.items()}, postal_deadline(event))


def motion(resolution: Resolution) -> majority.Motion:
    return majority.Motion(resolution.position, resolution.majority, resolution.board)


def tallies(resolution: Resolution) -> dict[int, dict[str, tuple[int, int, int]]]:
    """Entry number -> college key -> (for, against, abstain)."""
    out: dict[int, dict[str, tuple[int, int, int]]] = {}
    for row in db.session.scalars(select(RoomTally).where(
            RoomTally.resolution_id == resolution.id)):
        out.setdefault(row.entry, {})[row.college_key] = row.counts
    return out


def record_tally(resolution: Resolution, entry: int, totals: dict[str, tuple[int, int, int]],
                 now: datetime, user=None) -> None:
    """One entry of the room's totals by college; checked against who may vote in the room."""
    event = resolution.event
    if event.vote_opened_dt is None:
        raise ValidationFailed({"entry": "Ouvrez d'abord le vote (liste des votants)."})
    if entry not in (1, 2):
        raise ValidationFailed({"entry": "Première ou seconde saisie ?"})
    try:
        majority.decide(majority.prepare(assembly(event)), motion(resolution),
                        majority.Room(totals=totals))
    except majority.TallyError as exc:
        raise ValidationFailed({"entry": str(exc)}) from None
    db.session.execute(delete(RoomTally).where(RoomTally.resolution_id == resolution.id,
                                               RoomTally.entry == entry))
    for key, (n_for, n_against, n_abstain) in totals.items():
        db.session.add(RoomTally(resolution_id=resolution.id, college_key=key, entry=entry,
                                 for_count=n_for, against_count=n_against,
                                 abstain_count=n_abstain, entered_dt=now,
                                 entered_by_id=user.id if user is not None else None))
    db.session.flush()


@dataclass
class Outcome:
    """A resolution's result on the results page: final once both entries agree."""

    resolution: Resolution
    result: majority.Result
    state: str  # "final" | "mismatch" | "pending"

    @property
    def state_fr(self) -> str:
        return {"final": "Résultat (deux saisies concordantes)",
                "mismatch": "Les deux saisies diffèrent : à revoir",
                "pending": "Résultat provisoire : saisie de la salle incomplète"}[self.state]


def results(event: Event) -> list[Outcome]:
    """Every resolution's result (postal forms and blank proxies always; the room's totals
    once both entries agree)."""
    prepared = majority.prepare(assembly(event))
    out = []
    for resolution in event.resolutions:
        entries = tallies(resolution)
        first, second = entries.get(1), entries.get(2)
        state = "pending" if first is None or second is None else (
            "final" if first == second else "mismatch")
        room = majority.Room(totals=first) if state == "final" else None
        out.append(Outcome(resolution, majority.decide(prepared, motion(resolution), room),
                           state))
    return out


# --- online postal vote through the member's personal link ------------------


def online_vote_until(invitation: Invitation, now: datetime) -> datetime | None:
    """Until when the member may vote online (COOPCRM_EVENTS_ONLINE_VOTE), or None."""
    event = invitation.event
    if not current_app.config.get("EVENTS_ONLINE_VOTE") or not event.is_ag \
            or not event.resolutions or event.cancelled_dt is not None \
            or invitation.member.status != "cooperateur":
        return None
    deadline = postal_deadline(event)
    return deadline if now <= deadline else None
