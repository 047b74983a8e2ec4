"""Tiny factories: the fewest fields a valid object needs, everything overridable."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from coopcrm.auth.models import User
from coopcrm.extensions import db
from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence
from coopcrm.members.text import search_text

_seq = itertools.count(1)


def user(role="referent", password="correct horse battery", entities=(), commit=True, **kw):
    n = next(_seq)
    u = User(
        email=kw.pop("email", f"user{n}@coop.test"),
        name=kw.pop("name", f"Utilisateur {n}"),
        role=role,
        entities=list(entities),
        **kw,
    )
    u.set_password(password)
    db.session.add(u)
    if commit:
        db.session.commit()
    return u


def entity(code=None, commit=True, **kw):
    n = next(_seq)
    e = Entity(code=code or f"E{n}", name=kw.pop("name", f"Entité {n}"),
               share_unit_amount=kw.pop("share_unit_amount", Decimal("16.00")), **kw)
    db.session.add(e)
    if commit:
        db.session.commit()
    return e


def residence(entity_=None, commit=True, **kw):
    n = next(_seq)
    r = Residence(entity=entity_ or entity(), name=kw.pop("name", f"Résidence {n}"),
                  commune=kw.pop("commune", "Lyon"), **kw)
    db.session.add(r)
    if commit:
        db.session.commit()
    return r


def college(code=None, commit=True, **kw):
    n = next(_seq)
    c = College(code=code or f"c{n}", name=kw.pop("name", f"Collège {n}"), **kw)
    db.session.add(c)
    if commit:
        db.session.commit()
    return c


def member(entity_=None, reference=None, commit=True, **kw):
    """A member, linked to `entity_` (with `reference`) when given."""
    n = next(_seq)
    kw.setdefault("last_name", f"Nom{n}")
    kw.setdefault("first_name", f"Prénom{n}")
    kw.setdefault("email", f"membre{n}@exemple.test")
    kw.setdefault("track", "accession")
    m = Member(**kw)
    if entity_ is not None:
        m.entity_links.append(MemberEntity(entity=entity_, reference=reference))
    m.search_text = search_text(m.last_name, m.first_name, m.email, [reference])
    db.session.add(m)
    if commit:
        db.session.commit()
    return m


def today() -> date:
    from coopcrm import clock

    return clock.today()
