"""Courtesy visits: who still needs one (the retroactive wave), planning them, the monthly target.

A locatif member (not a former member) needs a visit once they have moved in
(a move-in date on their file, or an "arrivée dans les lieux" moment done)
and have no courtesy visit done or planned. Every query goes through `members.scoping.scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Select, exists, func, select

from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.models import JourneySetting, Moment, MomentType
from coopcrm.members.models import Member, MemberEntity
from coopcrm.members.scoping import scope
from coopcrm.pagination import Page, paginate

ARRIVAL = "arrivee_lieux"
VISIT = "visite_courtoisie"
TARGET_KEY = "courtesy_monthly_target"
TARGET_DEFAULT = 75
TARGET_MAX = 10000
PLAN_MAX = 200  # members planned in one go (four pages of the list)


def _type_id(code: str) -> int | None:
    return db.session.scalar(select(MomentType.id).where(MomentType.code == code))


def visit_type() -> MomentType | None:
    return db.session.scalar(select(MomentType).where(MomentType.code == VISIT))


def month_bounds(today: date) -> tuple[date, date]:
    """The first day of today's month and of the next one."""
    first = today.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


# --- the monthly target ----------------------------------------------------------


def monthly_target() -> int:
    """The number of visits to do each month (setting, else COURTESY_MONTHLY_TARGET, else 75)."""
    value = db.session.get(JourneySetting, TARGET_KEY)
    if value is not None and value.value.isdigit():
        return int(value.value)
    return int(current_app.config.get("COURTESY_MONTHLY_TARGET", TARGET_DEFAULT))


def set_monthly_target(value: int | None) -> int:
    if value is None or not 1 <= value <= TARGET_MAX:
        raise ValidationFailed({"target": f"Indiquez un objectif entre 1 et {TARGET_MAX} "
                                          "visites par mois."})
    setting = db.session.get(JourneySetting, TARGET_KEY)
    if setting is None:
        setting = JourneySetting(key=TARGET_KEY)
        db.session.add(setting)
    setting.value = str(value)
    db.session.flush()
    return value


# --- who needs a visit -------------------------------------------------------------


def _arrival_date(arrival_id: int | None):
    """The member's move-in date: the file's, else the first 'arrivée dans les lieux' done."""
    if arrival_id is None:
        return Member.moved_in_on
    first_done = (select(func.min(Moment.occurs_on))
                  .where(Moment.member_id == Member.id, Moment.type_id == arrival_id,
                         Moment.status == "done")
                  .correlate(Member).scalar_subquery())
    return func.coalesce(Member.moved_in_on, first_done)


def to_visit_query(user, residence_id: int | None = None,
                   entity_id: int | None = None) -> Select:
    """Locatif members moved in with no courtesy visit done or planned, oldest move-in first."""
    moved_in = _arrival_date(_type_id(ARRIVAL))
    # Former members (share reimbursed) have usually left their home: no visit.
    query = select(Member).where(Member.track == "locatif", Member.status != "ancien",
                                 moved_in.is_not(None))
    visit_id = _type_id(VISIT)
    if visit_id is not None:
        query = query.where(~exists().where(Moment.member_id == Member.id,
                                            Moment.type_id == visit_id,
                                            Moment.status.in_(("done", "planned"))))
    if residence_id:
        query = query.where(Member.residence_id == residence_id)
    if entity_id:
        query = query.where(exists().where(MemberEntity.member_id == Member.id,
                                           MemberEntity.entity_id == entity_id))
    return scope(query, user).order_by(moved_in, Member.id)


@dataclass(frozen=True)
class ToVisit:
    member: Member
    moved_in_on: date | None


def to_visit(user, page: int = 1, per_page: int = 50, residence_id: int | None = None,
             entity_id: int | None = None) -> Page:
    """One page of members waiting for a visit; items are ToVisit (member + move-in date)."""
    result = paginate(db.session, to_visit_query(user, residence_id, entity_id), page, per_page)
    ids = [m.id for m in result.items]
    dates: dict[int, date | None] = dict(db.session.execute(
        select(Member.id, _arrival_date(_type_id(ARRIVAL))).where(Member.id.in_(ids))).all()) \
        if ids else {}
    result.items = [ToVisit(m, dates.get(m.id)) for m in result.items]
    return result


# --- this month ---------------------------------------------------------------------


def _month_visits(today: date, user, status: str) -> Select:
    first, nxt = month_bounds(today)
    query = (select(Moment).join(Member, Member.id == Moment.member_id)
             .join(MomentType, MomentType.id == Moment.type_id)
             .where(MomentType.code == VISIT, Moment.status == status,
                    Moment.occurs_on >= first, Moment.occurs_on < nxt))
    return scope(query, user)


def month_progress(today: date, user) -> tuple[int, int, int]:
    """Courtesy visits done and planned in today's month (what `user` may see), and the target."""
    def count(status: str) -> int:
        return db.session.scalar(select(func.count()).select_from(
            _month_visits(today, user, status).subquery())) or 0

    return count("done"), count("planned"), monthly_target()


def planned_this_month(today: date, user) -> list[Moment]:
    """The visits planned in today's month, soonest first."""
    return list(db.session.scalars(
        _month_visits(today, user, "planned").order_by(Moment.occurs_on, Member.last_name,
                                                       Moment.id)))


# --- planning -----------------------------------------------------------------------


def plan_visits(member_ids: list[int], day: date | None, owner: User | None, user) -> list[Moment]:
    """Plan a courtesy visit on `day` for each member, all or none; ValidationFailed in French."""
    from coopcrm.journeys import services

    ids = list(dict.fromkeys(member_ids))
    if not ids:
        raise ValidationFailed({"member_ids": "Cochez au moins un coopérateur."})
    if len(ids) > PLAN_MAX:
        raise ValidationFailed({"member_ids": f"{PLAN_MAX} visites au plus en une fois."})
    moment_type = visit_type()
    if moment_type is None:
        raise ValidationFailed({"member_ids": "Le type de moment « Visite de courtoisie » "
                                              "n'existe pas dans le catalogue."})
    if owner is not None and (not owner.active or not owner.can_edit):
        raise ValidationFailed({"owner_id": "Choisissez une personne qui peut suivre la visite."})
    members = {m.id: m for m in db.session.scalars(
        scope(select(Member).where(Member.id.in_(ids)), user))}
    missing = [i for i in ids if i not in members]
    if missing:
        raise ValidationFailed({"member_ids": f"{len(missing)} coopérateur(s) introuvable(s) "
                                              "(supprimé(s) ou hors de vos entités)."})
    planned, problems = [], []
    for member_id in ids:
        member = members[member_id]
        try:
            planned.append(services.record(member, moment_type, status="planned",
                                           occurs_on=day, channel="visite", owner=owner,
                                           user=user))
        except ValidationFailed as failed:
            if set(failed.errors) <= {"occurs_on", "owner_id"}:
                raise  # the same for everyone: say it once
            problems.append(f"{member.first_name} {member.last_name} : "
                            + " ".join(failed.errors.values()))
    if problems:
        raise ValidationFailed({"member_ids": "Aucune visite planifiée. " + " ; ".join(problems)})
    return planned


def residences_and_entities(user):
    """Filter choices: the residences and entities the user may pick from."""
    from coopcrm.members.models import Entity, Residence

    entities = select(Entity).order_by(Entity.name)
    residences = select(Residence).order_by(Residence.name)
    if not user.sees_all_entities:
        ids = user.entity_ids
        entities = entities.where(Entity.id.in_(ids))
        residences = residences.where(Residence.entity_id.in_(ids))
    return list(db.session.scalars(residences)), list(db.session.scalars(entities))

