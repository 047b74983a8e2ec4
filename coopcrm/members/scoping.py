"""The one place that decides what a user may see and change across entities (DESIGN
principle 5): members, and the shared objects that belong to an entity or to the group.

Members: a user sees the members of their entities (group-wide users: every member).

Shared objects (segments, events, surveys, newsletter editions: models with
`EntityOwned`): `entity_id` is the owning entity, None the whole group. A user sees
the group's objects and those of their entities; an object of another entity answers
404, exactly like a member outside the user's entities. A referent changes only the
objects of their entities; the group's objects are changed by admins and referents
of all entities (403, with a French reason, for the others). An entity's object only
ever reaches that entity's members (`audience`).

Services and routes ask here; nobody else writes `sees_all_entities` into a query.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ColumnElement
from werkzeug.exceptions import NotFound

from coopcrm.errors import ReadOnlyHere, ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Entity, EntityOwned, Member, MemberEntity

GROUP_LABEL = "Tout le groupe"
OWNER_REFUSED = "Choisissez une de vos entités."
OTHER_ENTITY = "un coopérateur d'une autre entité"  # stands for a name the user may not see

Owned = TypeVar("Owned", bound=EntityOwned)


# --------------------------------------------------------------------- members


def scope(query: Select, user, *, anonymised: bool = False) -> Select:
    """Restrict a query over Member to the user's entities (and to members not anonymised,
    unless `anonymised`: statistics still count an erased member, privacy/erasure.py)."""
    if not anonymised:
        query = query.where(Member.anonymised_dt.is_(None))
    if user.sees_all_entities:
        return query
    ids = user.entity_ids
    return query.where(
        exists().where(MemberEntity.member_id == Member.id, MemberEntity.entity_id.in_(ids))
    )


def visible_members(user) -> Select:
    return scope(select(Member), user)


def get_member(user, member_id: int | None) -> Member:
    """The member if the user may see them; 404 otherwise (never a hint they exist)."""
    member = db.session.scalar(scope(select(Member).where(Member.id == member_id), user)) \
        if member_id is not None else None
    if member is None:
        raise NotFound()
    return member


def sees_member(user, member_id: int) -> bool:
    """Whether the user may see this member (not anonymised, in their entities)."""
    return db.session.scalar(scope(select(Member.id).where(Member.id == member_id), user)) \
        is not None


def by_reference(reference: str) -> Member | None:
    """The member (not anonymised) an entity knows by this reference, for commands run by
    the operator (who sees every entity); case and surrounding spaces do not matter."""
    return db.session.scalar(
        select(Member).join(MemberEntity, MemberEntity.member_id == Member.id)
        .where(func.lower(MemberEntity.reference) == reference.strip().lower(),
               Member.anonymised_dt.is_(None)).limit(1))


def visible_member_ids(user) -> set[int]:
    """The ids of every member the user may see (to filter lists built for the whole group)."""
    return set(db.session.scalars(scope(select(Member.id), user)))


def only_seen(query: Select, member_id: QueryableAttribute[Any] | ColumnElement[Any],
              user, *, anonymised: bool = False) -> Select:
    """Restrict a query over rows naming a member (an invitation, a response, an attendance)
    to the rows of members the user may see; untouched for a group-wide user. A row with
    no member (NULL) is kept only for them: nobody can say whose it is. `anonymised`: the
    rows of anonymised members of the user's entities count too (past figures, legal
    records)."""
    if user is None or user.sees_all_entities:
        return query
    return query.where(member_id.in_(scope(select(Member.id), user, anonymised=anonymised)))


class _Everyone:
    def __contains__(self, member_id: object) -> bool:
        return True


def seen_by(user) -> Container[int | None]:
    """What `member_id in seen` asks of a list built for the whole group: may the user see
    that member? (One query for a scoped user, none for a group-wide one.)"""
    if user.sees_all_entities:
        return _Everyone()
    return frozenset(visible_member_ids(user))


def name_or_other(member: Member | None, seen: Container[int | None]) -> str:
    """The member's full name where the user may see them, else a neutral stand-in."""
    if member is None:
        return "?"
    return member.full_name if member.id in seen else OTHER_ENTITY


# ------------------------------------------------------------- shared objects


def _visible_condition(model: type[EntityOwned], user) -> ColumnElement[bool] | None:
    if user.sees_all_entities:
        return None
    return model.entity_id.is_(None) | model.entity_id.in_(user.entity_ids)


def owned(query: Select, model: type[EntityOwned], user) -> Select:
    """Restrict a query over `model` to the objects the user may see: the group's and
    their entities' (all of them for a group-wide user)."""
    condition = _visible_condition(model, user)
    return query if condition is None else query.where(condition)


def is_visible(user, obj: EntityOwned | None) -> bool:
    """May the user see this shared object? (False for None.)"""
    if obj is None:
        return False
    return user.sees_all_entities or obj.entity_id is None or obj.entity_id in user.entity_ids


def find_owned(model: type[Owned], obj_id: int | None, user) -> Owned | None:
    """The object if it exists and the user may see it, else None."""
    obj = db.session.get(model, obj_id) if obj_id is not None else None
    return obj if is_visible(user, obj) else None


def get_owned(model: type[Owned], obj_id: int, user) -> Owned:
    """The object if the user may see it; 404 otherwise (never a hint it exists)."""
    obj = find_owned(model, obj_id, user)
    if obj is None:
        raise NotFound()
    return obj


def may_change_group(user) -> bool:
    """May the user change what belongs to the whole group (admins, referents of all
    entities)?"""
    return bool(user.can_edit and user.sees_all_entities)


def may_change(user, obj: EntityOwned) -> bool:
    """May the user change (edit, send, cancel, delete) this shared object?"""
    if not user.can_edit or not is_visible(user, obj):
        return False
    return obj.entity_id is not None or may_change_group(user)


def check_change(user, obj: EntityOwned) -> None:
    """404 for an object the user may not see, 403 for one they may see but not change."""
    if not is_visible(user, obj):
        raise NotFound()
    if not may_change(user, obj):
        raise ReadOnlyHere()


def check_change_group(user) -> None:
    """403 unless the user may change what belongs to the whole group."""
    if not may_change_group(user):
        raise ReadOnlyHere()


def get_changeable(model: type[Owned], obj_id: int, user) -> Owned:
    """The object if the user may change it: 404 if they may not see it, else 403."""
    obj = get_owned(model, obj_id, user)
    check_change(user, obj)
    return obj


def owner_choices(user) -> list[tuple[int | None, str]]:
    """Whom a new object may belong to, for the form's "Entité" list: the group (for those
    who may change the group's objects), then the user's entities, by code."""
    query = select(Entity).order_by(Entity.code)
    if not user.sees_all_entities:
        query = query.where(Entity.id.in_(user.entity_ids))
    out: list[tuple[int | None, str]] = [(None, GROUP_LABEL)] if may_change_group(user) else []
    return out + [(e.id, f"{e.code} — {e.name}") for e in db.session.scalars(query)]


def default_owner(user) -> int | None:
    """What a new object belongs to unless told: the group for those who may change it,
    else the user's first entity (by code)."""
    choices = owner_choices(user)
    return choices[0][0] if choices else None


def checked_owner(user, entity_id: int | None) -> int | None:
    """`entity_id` if the user may give an object to it (None: the group), else
    ValidationFailed on the form's `entity_id` field."""
    if entity_id not in {value for value, _label in owner_choices(user)}:
        raise ValidationFailed({"entity_id": OWNER_REFUSED})
    return entity_id


def audience(obj: EntityOwned | None) -> list[ColumnElement[bool]]:
    """Conditions over Member keeping an entity's object to that entity's members (none for
    the group's): whoever sends it, it reaches no one outside its entity."""
    if obj is None or obj.entity_id is None:
        return []
    return [exists().where(MemberEntity.member_id == Member.id,
                           MemberEntity.entity_id == obj.entity_id)]


def owner_label(obj: EntityOwned) -> str:
    """The owning entity's code, or "Tout le groupe"."""
    return obj.entity.code if obj.entity is not None else GROUP_LABEL
