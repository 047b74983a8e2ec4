"""Saved member filters: create, rename, delete, count, and the audience query."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from coopcrm import fr, plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import STATUSES, TRACKS, College, Entity, Residence
from coopcrm.members.query import MemberFilter, member_ids_query
from coopcrm.models import text_limit, too_long
from coopcrm.segments.models import Segment

NAME_TAKEN = "Un segment porte déjà ce nom."
_DEFAULT = object()  # create() without an owner: scoping.default_owner(user)


def visible_segments(user) -> list[Segment]:
    """The segments the user may see (the group's and their entities'), by name: the list
    and every segment picker."""
    query = scoping.owned(select(Segment), Segment, user)
    return list(db.session.scalars(query.order_by(func.lower(Segment.name))))


def find_visible(user, segment_id: int | None) -> Segment | None:
    """The segment a picker posted, if the user may see it."""
    return scoping.find_owned(Segment, segment_id, user)


def member_filter(segment: Segment) -> MemberFilter:
    """The stored filter, parsed the same way as the members list's URL."""
    f, _errors = MemberFilter.parse(segment.filters or {})
    return f


def member_ids(segment: Segment, user) -> Select:
    """The ids of the segment's members the user may see (an entity's segment: of that
    entity only): the audience of a send."""
    return member_ids_query(user, member_filter(segment)).where(*scoping.audience(segment))


def count(segment: Segment, user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(member_ids(segment, user).subquery())) or 0


def create(name: str | None, f: MemberFilter, user, entity_id=_DEFAULT) -> Segment:
    """Save the filter under a name (unique, case-insensitive), for one of the user's
    entities or the group (scoping.checked_owner); by default scoping.default_owner."""
    owner = None
    if user is not None:
        owner = scoping.checked_owner(
            user, scoping.default_owner(user) if entity_id is _DEFAULT else entity_id)
    name = _checked_name(name)
    segment = Segment(name=name, filters=f.to_dict(), created_by_id=user.id if user else None,
                      entity_id=owner)
    db.session.add(segment)
    db.session.flush()
    return segment


def rename(segment: Segment, name: str | None) -> Segment:
    segment.name = _checked_name(name, segment)
    db.session.flush()
    return segment


def delete(segment: Segment) -> None:
    db.session.delete(segment)
    db.session.flush()


def _checked_name(name: str | None, segment: Segment | None = None) -> str:
    if (problem := plaintext.line_problem(name or "")) is not None:
        raise ValidationFailed({"name": problem})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": "Donnez un nom au segment."})
    if len(name) > (limit := text_limit(Segment, "name")):
        raise ValidationFailed({"name": too_long(limit)})
    taken = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if segment is not None:
        taken = taken.where(Segment.id != segment.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise ValidationFailed({"name": NAME_TAKEN})
    return name


def describe(filters: dict) -> list[str]:
    """The filter in plain French, one criterion a line."""
    f, _ = MemberFilter.parse(filters or {})
    out = []
    if f.q:
        out.append(f"Recherche : « {f.q} »")
    if f.entity is not None:
        e = db.session.get(Entity, f.entity)
        out.append(f"Entité : {e.code if e else 'supprimée'}")
    if f.track:
        out.append(f"Parcours : {TRACKS[f.track]}")
    if f.status:
        out.append(f"Statut : {STATUSES[f.status]}")
    if f.college is not None:
        c = db.session.get(College, f.college)
        out.append(f"Collège : {c.name if c else 'supprimé'}")
    if f.residence is not None:
        r = db.session.get(Residence, f.residence)
        out.append(f"Résidence : {r.name if r else 'supprimée'}")
    if f.tenure_min is not None:
        out.append(f"Ancienneté d'au moins {f.tenure_min} an(s)")
    if f.tenure_max is not None:
        out.append(f"Ancienneté d'au plus {f.tenure_max} an(s)")
    if f.signed_from:
        out.append(f"Signature de réservation à partir du {fr.date(f.signed_from)}")
    if f.signed_to:
        out.append(f"Signature de réservation jusqu'au {fr.date(f.signed_to)}")
    for name, label in (("deliverable", "Email valide"),
                        ("newsletter", "Accord lettre d'information"),
                        ("econvocation", "Accord convocation électronique"),
                        ("reserved", "Contrat de réservation signé")):
        if getattr(f, name):
            out.append(f"{label} : {getattr(f, name)}")
    return out or ["Tous les coopérateurs"]
