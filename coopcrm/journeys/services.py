"""Key contact moments: the one place they are written, and each member's timeline.

Every function here flushes and never commits: the caller (a view, the
importer, the demo seed) commits, so whatever `_written` adds later (the
follow-up rules: a welcome email on move-in, a survey after a courtesy visit)
lands in the same transaction as the moment, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from coopcrm import clock, fr, plaintext
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.followups import services as followups
from coopcrm.journeys.models import CHANNELS, Moment, MomentType
from coopcrm.members.models import TRACKS, Member
from coopcrm.members.validation import EARLIEST
from coopcrm.privacy.audit import acting_as

RECORDABLE = ("done", "planned")
NOTES_MAX = 5000
# Planning further ahead than this is almost surely a typo (2062 for 2026).
PLAN_HORIZON = timedelta(days=10 * 366)


@dataclass(frozen=True)
class PlannedItem:
    moment: Moment
    overdue: bool


@dataclass
class Timeline:
    """A member's journey: what happened, what is planned, what usually comes next."""

    member: Member
    today: date
    done: list[Moment] = field(default_factory=list)  # most recent first
    planned: list[PlannedItem] = field(default_factory=list)  # soonest first
    expected: list[MomentType] = field(default_factory=list)  # catalogue order
    cancelled: list[Moment] = field(default_factory=list)  # most recent first

    @property
    def overdue_count(self) -> int:
        return sum(1 for p in self.planned if p.overdue)


# --- reading -----------------------------------------------------------------


def applies_to(moment_type: MomentType, track: str) -> bool:
    """Whether a moment type belongs to a member track ('both' fits either)."""
    return moment_type.track in (track, "both")


def types_for_track(track: str, *, include_inactive: bool = False) -> list[MomentType]:
    """The catalogue for one member track, in journey order."""
    query = select(MomentType).where(MomentType.track.in_((track, "both")))
    if not include_inactive:
        query = query.where(MomentType.active.is_(True))
    return list(db.session.scalars(query.order_by(MomentType.position, MomentType.label,
                                                  MomentType.id)))


def member_moments(member: Member) -> list[Moment]:
    return list(db.session.scalars(
        select(Moment).where(Moment.member_id == member.id).order_by(Moment.occurs_on, Moment.id)
    ))


def timeline(member: Member, today: date | None = None) -> Timeline:
    """Done (recent first), planned (soonest first, overdue flagged) and expected moments."""
    today = today or clock.today()
    moments = member_moments(member)
    result = Timeline(member=member, today=today)
    result.done = sorted((m for m in moments if m.status == "done"),
                         key=lambda m: (m.occurs_on, m.id), reverse=True)
    result.cancelled = sorted((m for m in moments if m.status == "cancelled"),
                              key=lambda m: (m.occurs_on, m.id), reverse=True)
    result.planned = [PlannedItem(m, m.occurs_on < today)
                      for m in moments if m.status == "planned"]
    # A cancelled moment has not happened: its type is expected again.
    taken = {m.type_id for m in moments if m.status in RECORDABLE}
    result.expected = [t for t in types_for_track(member.track)
                       if not t.repeatable and t.id not in taken]
    return result


# --- writing -----------------------------------------------------------------


def record(
    member: Member,
    type: MomentType | None,
    *,
    status: str,
    occurs_on: date | None,
    channel: str = "",
    owner: User | None = None,
    notes: str = "",
    user=None,
    now: datetime | None = None,
) -> Moment:
    """Log a done moment or plan one; ValidationFailed (French) on bad input.

    `now` (a job's) is when it is logged, and its Paris date is today; by default, the clock.
    """
    _load(user)
    now = now or clock.now()
    today = clock.day_of(now)
    errors: dict[str, str] = {}
    if member.anonymised_dt is not None:
        raise ValidationFailed({"member": "Ce coopérateur a été anonymisé : on ne peut plus "
                                          "lui ajouter de moment."})
    if type is None:
        errors["type_id"] = "Choisissez le type de moment."
    elif not type.active:
        errors["type_id"] = f"« {type.label} » n'est plus proposé dans le catalogue."
    elif not applies_to(type, member.track):
        errors["type_id"] = (f"« {type.label} » ne fait pas partie du parcours "
                             f"{TRACKS.get(member.track, member.track).lower()} de ce coopérateur.")
    if status not in RECORDABLE:
        errors["status"] = "Indiquez si le moment est réalisé ou prévu."
    channel = (channel or "").strip()
    if channel and channel not in CHANNELS:
        errors["channel"] = f"Canal inconnu : « {channel} »."
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = f"Les notes dépassent {NOTES_MAX} caractères."
    errors.update(plaintext.problems(texts={"notes": notes}))
    if owner is not None and not owner.active:
        errors["owner_id"] = f"{owner.name} n'a plus accès à l'application."
    date_error = _date_error(occurs_on, status, today)
    if date_error:
        errors["occurs_on"] = date_error
    if not errors and type is not None and not type.repeatable:
        clash = _open_moment(member, type)
        if clash is not None:
            errors["type_id"] = _clash_message(type, clash, status)
    if errors:
        raise ValidationFailed(errors)

    moment = Moment(
        member_id=member.id,
        type=type,
        status=status,
        occurs_on=occurs_on,
        channel=channel,
        owner=owner,
        notes=notes,
        done_dt=now if status == "done" else None,
    )
    db.session.add(moment)
    _written(moment, "created", user, now)
    return moment


def complete(moment: Moment, done_on: date | None, user, notes: str | None = None) -> Moment:
    """Mark a planned moment as done on `done_on` (its date becomes the actual date)."""
    _load(user)
    if moment.status == "cancelled":
        raise ValidationFailed({"status": "Ce moment a été annulé : il ne peut pas être marqué "
                                          "réalisé. Notez plutôt un nouveau moment."})
    if moment.status == "done":
        raise ValidationFailed({"status": "Ce moment est déjà marqué réalisé."})
    error = _date_error(done_on, "done", clock.today())
    if error:
        raise ValidationFailed({"occurs_on": error})
    if notes is not None and len(notes.strip()) > NOTES_MAX:
        raise ValidationFailed({"notes": f"Les notes dépassent {NOTES_MAX} caractères."})
    if (problem := plaintext.text_problem(notes)) is not None:
        raise ValidationFailed({"notes": problem})
    moment.status = "done"
    assert done_on is not None  # _date_error refuses a missing date
    moment.occurs_on = done_on
    moment.done_dt = clock.now()
    if moment.owner_id is None and user is not None:
        moment.owner_id = user.id
    if notes is not None and notes.strip():
        moment.notes = notes.strip()
    _written(moment, "completed", user)
    return moment


def cancel(moment: Moment, user) -> Moment:
    """Cancel a planned moment (kept on the timeline, struck through)."""
    _load(user)
    if moment.status == "done":
        raise ValidationFailed({"status": "Ce moment est réalisé : il ne peut plus être annulé."})
    if moment.status == "cancelled":
        raise ValidationFailed({"status": "Ce moment est déjà annulé."})
    moment.status = "cancelled"
    _written(moment, "cancelled", user)
    return moment


def reschedule(moment: Moment, occurs_on: date | None, user) -> Moment:
    """Move a planned moment to another date, today or later."""
    _load(user)
    if moment.status != "planned":
        raise ValidationFailed({"status": "Seul un moment prévu peut être reporté."})
    error = _date_error(occurs_on, "planned", clock.today())
    if error:
        raise ValidationFailed({"occurs_on": error})
    if occurs_on == moment.occurs_on:
        raise ValidationFailed({"occurs_on": "Choisissez une date différente de la date prévue."})
    assert occurs_on is not None  # _date_error refuses a missing date
    moment.occurs_on = occurs_on
    _written(moment, "rescheduled", user)
    return moment


def _written(moment: Moment, change: str, user, now: datetime | None = None) -> None:
    """Every moment change ends here, inside the caller's transaction.

    The audit listener writes its entry during this flush, attributed to
    `user`. Follow-up rules will be applied here too (`followups.apply`),
    after the flush so they see the moment's id.
    """
    with acting_as(user):
        db.session.flush()
    followups.apply(moment, change, user, now)


def _load(user) -> None:
    """Load the acting user now: loading it later (an expired object after a commit)
    would autoflush the moment before `acting_as`, and the audit would lose who did it."""
    if user is not None:
        _ = user.id


# --- checks ------------------------------------------------------------------


def _date_error(value: date | None, status: str, today: date) -> str | None:
    if value is None:
        return "Indiquez la date."
    if value < EARLIEST:
        return f"La date {fr.date(value)} est invraisemblable."
    if status == "done" and value > today:
        return "Un moment réalisé ne peut pas être daté dans le futur."
    if status == "planned":
        if value < today:
            return ("Un moment prévu se date d'aujourd'hui ou plus tard "
                    "(s'il a eu lieu, notez-le comme réalisé).")
        if value > today + PLAN_HORIZON:
            return f"La date {fr.date(value)} est trop lointaine."
    return None


def _open_moment(member: Member, moment_type: MomentType) -> Moment | None:
    """A done or planned moment of this type for this member, if any."""
    return db.session.scalar(
        select(Moment).where(Moment.member_id == member.id, Moment.type_id == moment_type.id,
                             Moment.status.in_(RECORDABLE))
        .order_by(Moment.occurs_on).limit(1)
    )


def _clash_message(moment_type: MomentType, clash: Moment, status: str) -> str:
    when = fr.date(clash.occurs_on)
    if clash.status == "done":
        return f"« {moment_type.label} » est déjà noté comme réalisé le {when}."
    if status == "done":
        return (f"« {moment_type.label} » est déjà prévu le {when} : "
                "marquez ce moment prévu comme réalisé.")
    return f"« {moment_type.label} » est déjà prévu le {when} : reportez-le si besoin."
