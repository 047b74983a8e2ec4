"""Reference data kept by admins: entities, residences, colleges."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from coopcrm import plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import College, Entity, Residence


def save_entity(entity: Entity | None, code: str | None, name: str | None,
                share_unit_amount: Decimal) -> Entity:
    """Create (entity None) or update an entity; the code is unique."""
    code, name = (code or "").strip().upper(), (name or "").strip()
    errors = _required(code=code, name=name)
    if code and _taken(Entity, Entity.code, code, entity):
        errors["code"] = "Une entité porte déjà ce code."
    if share_unit_amount is None or share_unit_amount <= 0:
        errors["share_unit_amount"] = "Indiquez le montant d'une part, ex. 16,00."
    if errors:
        raise ValidationFailed(errors)
    entity = entity or Entity()
    entity.code, entity.name, entity.share_unit_amount = code, name, share_unit_amount
    db.session.add(entity)
    db.session.flush()
    return entity


def save_residence(residence: Residence | None, entity_id: int | None, name: str | None,
                   commune: str | None, dwellings: int | None, delivery_date) -> Residence:
    """Create or update a residence; its name is unique within its entity."""
    name, commune = (name or "").strip(), (commune or "").strip()
    errors = {**plaintext.problems(lines={"commune": commune}), **_required(name=name)}
    if entity_id is None or db.session.get(Entity, entity_id) is None:
        errors["entity_id"] = "Choisissez l'entité."
    elif name:
        taken = select(Residence.id).where(Residence.entity_id == entity_id,
                                           func.lower(Residence.name) == name.lower())
        if residence is not None:
            taken = taken.where(Residence.id != residence.id)
        if db.session.scalar(taken.limit(1)) is not None:
            errors["name"] = "Cette entité a déjà une résidence de ce nom."
    if dwellings is not None and dwellings < 0:
        errors["dwellings"] = "Le nombre de logements ne peut pas être négatif."
    if errors:
        raise ValidationFailed(errors)
    residence = residence or Residence()
    assert entity_id is not None  # refused above
    residence.entity_id, residence.name, residence.commune = entity_id, name, commune
    residence.dwellings, residence.delivery_date = dwellings, delivery_date
    db.session.add(residence)
    db.session.flush()
    return residence


def save_college(college: College | None, code: str | None, name: str | None,
                 vote_weight: Decimal, position: int | None) -> College:
    """Create or update a voting college; the code is unique."""
    code, name = (code or "").strip().lower(), (name or "").strip()
    errors = _required(code=code, name=name)
    if code and _taken(College, College.code, code, college):
        errors["code"] = "Un collège porte déjà ce code."
    if vote_weight is None or vote_weight < 0:
        errors["vote_weight"] = "Indiquez un poids de vote positif ou nul, ex. 1."
    if errors:
        raise ValidationFailed(errors)
    college = college or College()
    college.code, college.name, college.vote_weight = code, name, vote_weight
    college.position = position or 0
    db.session.add(college)
    db.session.flush()
    return college


def _required(**values) -> dict[str, str]:
    """'Ce champ est obligatoire.' for each empty value, and the control characters' messages."""
    return {**plaintext.problems(lines=values),
            **{k: "Ce champ est obligatoire." for k, v in values.items() if not v}}


def _taken(model, column, value: str, current) -> bool:
    query = select(model.id).where(func.lower(column) == value.lower())
    if current is not None:
        query = query.where(model.id != current.id)
    return db.session.scalar(query.limit(1)) is not None
