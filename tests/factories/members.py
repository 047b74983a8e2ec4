"""Members and what they belong to: entities (and the links to them), residences, colleges,
the share register."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from coopcrm.members import shares
from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence
from coopcrm.members.text import search_text
from tests.factories._base import finished, n, saved, today


def entity(code=None, commit=True, **kw):
    i = n()
    e = Entity(code=code or f"E{i}", name=kw.pop("name", f"Entité {i}"),
               share_unit_amount=kw.pop("share_unit_amount", Decimal("16.00")), **kw)
    return saved(e, commit)


def residence(entity_=None, commit=True, **kw):
    i = n()
    r = Residence(entity=entity_ or entity(), name=kw.pop("name", f"Résidence {i}"),
                  commune=kw.pop("commune", "Lyon"), **kw)
    return saved(r, commit)


def college(code=None, commit=True, **kw):
    i = n()
    c = College(code=code or f"c{i}", name=kw.pop("name", f"Collège {i}"), **kw)
    return saved(c, commit)


def member(entity_=None, reference=None, commit=True, **kw):
    """A member, linked to `entity_` (with `reference`) when given."""
    i = n()
    kw.setdefault("last_name", f"Nom{i}")
    kw.setdefault("first_name", f"Prénom{i}")
    kw.setdefault("email", f"membre{i}@exemple.test")
    kw.setdefault("track", "accession")
    m = Member(**kw)
    if entity_ is not None:
        m.entity_links.append(MemberEntity(entity=entity_, reference=reference))
    m.search_text = search_text(m.last_name, m.first_name, m.email, [reference])
    return saved(m, commit)


def coop_member(**kw):
    """A coopérateur holding one share (as the register would say), without the movement."""
    kw.setdefault("status", "cooperateur")
    kw.setdefault("share_count", 1)
    return member(**kw)


def member_entity(member_, entity_=None, reference=None, commit=True):
    """One more entity link for an existing member (a new entity unless given)."""
    link = MemberEntity(entity=entity_ or entity(), reference=reference)
    member_.entity_links.append(link)
    return saved(link, commit)


def share(member_, quantity=1, kind="subscription", occurred_on: date | None = None,
          commit=True, **kw):
    """A line of the share register, through the register (status and count follow)."""
    movement = shares.record(member_, kind, quantity, occurred_on or today(), **kw)
    return finished(movement, commit)


def import_task(user_, data: bytes = b"nom;entite\r\nMartin;MFLA\r\n", commit=True, **kw):
    """A queued import task of `user_` over an upload stored as the upload page stores it."""
    import io

    from coopcrm.members.importing import tasks, uploads

    stored = uploads.store(io.BytesIO(data))
    task = tasks.queue_check(user_, stored, kw.pop("filename", f"membres{n()}.csv"),
                             kw.pop("entity", None))
    for key, value in kw.items():
        setattr(task, key, value)
    return finished(task, commit)
