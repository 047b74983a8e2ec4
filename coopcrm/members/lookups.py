"""Reference lists for forms and filters (entities, residences, colleges)."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.members.models import College, Entity, Residence


def entities_for(user) -> list[Entity]:
    query = select(Entity).order_by(Entity.code)
    if not user.sees_all_entities:
        query = query.where(Entity.id.in_(user.entity_ids))
    return list(db.session.scalars(query))


def residences_for(user) -> list[Residence]:
    query = select(Residence).order_by(Residence.name)
    if not user.sees_all_entities:
        query = query.where(Residence.entity_id.in_(user.entity_ids))
    return list(db.session.scalars(query))


def colleges() -> list[College]:
    return list(db.session.scalars(select(College).order_by(College.position, College.name)))
