"""A realistic demo group: two entities, residences, colleges, users (members come later)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from coopcrm.auth.models import User
from coopcrm.auth.services import create_user
from coopcrm.devserver import DEMO_LOGINS
from coopcrm.extensions import db
from coopcrm.members.models import Entity, Member
from coopcrm.seeding import reference


def load(count: int = 2000, random_seed: int = 2026, if_empty: bool = False) -> str:
    if if_empty and db.session.scalar(select(func.count(Member.id))):
        return "Démonstration déjà chargée : rien à faire."
    mfla = Entity(code="MFLA", name="Maisons Familiales de Loire-Atlantique",
                  share_unit_amount=Decimal("16.00"))
    ght = Entity(code="GHT", name="Groupe Habitat Toit", share_unit_amount=Decimal("16.00"))
    db.session.add_all([mfla, ght])
    reference.load_all()
    roles = ["admin", "referent", "referent", "lecteur"]
    if not db.session.scalar(select(func.count(User.id))):
        for (email, password, label), role in zip(DEMO_LOGINS, roles, strict=True):
            scoped = email.startswith("referent.ght")
            create_user(email, label.capitalize(), password, role,
                        entities=[ght] if scoped else [], all_entities=not scoped)
    db.session.commit()
    return "Démonstration chargée."
