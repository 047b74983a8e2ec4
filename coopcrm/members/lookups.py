"""Reference lists for forms and filters (entities, residences, colleges)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.members.models import College, Entity, Residence


def entities(ids: Collection[int] | None = None) -> list[Entity]:
    """Every entity of the group (or those of `ids`), by code: admin pages, no scope applies."""
    query = select(Entity).order_by(Entity.code)
    if ids is not None:
        query = query.where(Entity.id.in_(ids))
    return list(db.session.scalars(query))


def residences() -> list[Residence]:
    """Every residence of the group, by entity then name (admin pages)."""
    return list(db.session.scalars(
        select(Residence).join(Residence.entity).order_by(Entity.code, Residence.name)))


def entities_for(user) -> list[Entity]:
    """The entities the user works for (all of them for group-wide users), by code."""
    query = select(Entity).order_by(Entity.code)
    if not user.sees_all_entities:
        query = query.where(Entity.id.in_(user.entity_ids))
    return list(db.session.scalars(query))


def residences_for(user) -> list[Residence]:
    """The residences of the user's entities, by name."""
    query = select(Residence).order_by(Residence.name)
    if not user.sees_all_entities:
        query = query.where(Residence.entity_id.in_(user.entity_ids))
    return list(db.session.scalars(query))


def colleges() -> list[College]:
    """The AG colleges in their order."""
    return list(db.session.scalars(select(College).order_by(College.position, College.name)))
