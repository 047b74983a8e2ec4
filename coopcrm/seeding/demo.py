"""A realistic demo group (`coopcrm seed demo`): two entities, residences, ~2,000 members.

Members, links, share movements, consents and moments go in with Core bulk
inserts (seconds, not minutes). The audit trail only follows ORM changes, so
seeded rows have no audit entries: nobody did anything to them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from coopcrm import clock
from coopcrm.auth.models import User
from coopcrm.auth.services import add_user
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from coopcrm.members.models import (
    College,
    Entity,
    Member,
    MemberEntity,
    Residence,
    ShareMovement,
)
from coopcrm.members.text import search_text
from coopcrm.privacy.consents import wording
from coopcrm.privacy.models import ConsentRecord, DataRequest
from coopcrm.privacy.requests import due_date
from coopcrm.seeding import reference
from coopcrm.seeding.demo_logins import DEMO_LOGINS
from coopcrm.seeding.demo_moments import moments
from coopcrm.seeding.demo_people import Person, Place, add_months, at, people, read_seed

ENTITIES = [
    ("MFLA", "Maisons Familiales de Loire-Atlantique"),
    ("GHT", "Groupe Habitat Toit"),
]
SHARE = Decimal("16.00")
SOURCE = "démo"
# DEMO_LOGINS order: role, display name, scoped to GHT only.
USERS = [("admin", "Sophie Garnier", False), ("referent", "Claire Moreau", False),
         ("referent", "Yann Le Goff", True), ("lecteur", "Paul Bernard", False)]
OWNER_KEYS = ["admin", "referente", "ght", "lecteur"]


RESTART = ("Pour repartir de zéro, supprimez la base (instance/coopcrm.db) puis relancez "
           "« coopcrm db upgrade » et « coopcrm seed demo ».")


class DemoAlreadyLoaded(Exception):
    """The demo entities exist: loading again would duplicate or collide."""


class DemoHalfLoaded(DemoAlreadyLoaded):
    """The demo entities exist but the demo's last steps never ran (a failed older load)."""


def load(count: int = 2000, random_seed: int = 2026, if_empty: bool = False) -> str:
    """Load the demo group, all or nothing; a French summary of what was loaded.

    Raises DemoAlreadyLoaded when the demo is there (even with `if_empty`, if it
    is only half there: a base a failed load left behind is never taken as done).
    """
    existing = sorted(db.session.scalars(
        select(Entity.code).where(Entity.code.in_([code for code, _ in ENTITIES]))))
    if existing and not _complete():
        raise DemoHalfLoaded(
            f"La démonstration n'est chargée qu'à moitié (les entités {', '.join(existing)} "
            "existent, mais pas les événements ou le sondage de démonstration) : un chargement "
            "précédent a échoué. " + RESTART)
    if if_empty and (existing or db.session.scalar(select(func.count(Member.id)))):
        return "Démonstration déjà chargée (la base n'est pas vide) : rien à faire."
    if existing:
        raise DemoAlreadyLoaded(
            f"La démonstration est déjà chargée : les entités {', '.join(existing)} "
            "existent. " + RESTART)
    # The domains' own loaders commit their steps (the cycle runs its job, which commits
    # per chunk): inside one outer transaction those commits only release savepoints.
    from coopcrm.cycle.demo import load_history
    from coopcrm.events.demo import load_demo as load_events
    from coopcrm.surveys.demo import load_demo as load_surveys

    with one_transaction():
        summary = _load(count, random.Random(random_seed))
        db.session.commit()
        return " ".join([summary, load_history(), load_surveys(), load_events()])


def _complete() -> bool:
    """The demo's last steps left their rows: its survey and its events."""
    from coopcrm.events.models import Event
    from coopcrm.surveys.demo import DEMO_TITLE
    from coopcrm.surveys.models import Survey

    return (db.session.scalar(select(Survey.id).where(Survey.title == DEMO_TITLE).limit(1))
            is not None and db.session.scalar(select(Event.id).limit(1)) is not None)


@contextmanager
def one_transaction() -> Iterator[None]:
    """Run the block in one database transaction, committed at its end or rolled back whole.

    `db.session` is swapped, for the block, for a session joined to an outer
    transaction in "create_savepoint" mode: each `commit()` of the code inside
    releases a savepoint, and nothing is durable until the block returns.
    """
    db.session.remove()
    conn = db.engine.connect()
    raw = conn.connection.driver_connection
    assert raw is not None  # a live connection, checked out just above
    sqlite = conn.dialect.name == "sqlite"
    saved_level = raw.isolation_level if sqlite else None
    outer = conn.begin()
    if sqlite:
        # pysqlite opens its transactions lazily, not before a SAVEPOINT (whose RELEASE would
        # then commit everything): take transaction control and BEGIN ourselves.
        raw.isolation_level = None
        conn.exec_driver_sql("BEGIN")
    joined = Session(bind=conn, join_transaction_mode="create_savepoint")
    # A plain Session, not the registry's flask_sqlalchemy one: that one's get_bind picks the
    # engine, not this connection, and would leave the outer transaction aside.
    db.session.registry.set(joined)  # type: ignore[arg-type]
    try:
        yield
        db.session.flush()
        outer.commit()
    except BaseException:
        outer.rollback()
        raise
    finally:
        db.session.remove()
        if sqlite:
            raw.isolation_level = saved_level
        conn.close()


def _load(count: int, rng: random.Random) -> str:
    now = clock.now()
    today = clock.today()
    entities = {code: Entity(code=code, name=name, share_unit_amount=SHARE)
                for code, name in ENTITIES}
    db.session.add_all(entities.values())
    reference.load_all()
    places = _residences(entities, today)
    owners = _users(entities)
    colleges = dict(db.session.execute(select(College.code, College.id)).all())
    types = dict(db.session.execute(select(MomentType.code, MomentType.id)).all())
    entity_ids = {code: e.id for code, e in entities.items()}

    persons = people(count, rng, now, places)
    table = Member.__table__
    ids = db.session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [_member_row(p, colleges) for p in persons],
    ).all()
    members = list(zip(ids, persons, strict=True))
    _insert(MemberEntity, [{"member_id": mid, "entity_id": entity_ids[code], "reference": ref}
                           for mid, p in members for code, ref in p.references.items()])
    _insert(ShareMovement, _movements(members, now))
    coop = current_app.config.get("COOP_NAME", "la coopérative")
    wordings = {kind: wording(kind, coop) for kind in ("newsletter", "econvocation")}
    _insert(ConsentRecord, [
        {"member_id": mid, "kind": kind, "granted": granted, "recorded_dt": dt,
         "source": SOURCE, "wording": wordings[kind], "user_id": None}
        for mid, p in members for kind, granted, dt in p.consent_records])
    moment_rows = moments(rng, now, members, places, types, owners, scale=count / 2000)
    _insert(Moment, moment_rows)
    _data_requests(members, today)
    planned = sum(1 for row in moment_rows if row["status"] == "planned")
    return (f"Démonstration chargée : {len(entities)} entités, {len(places)} résidences, "
            f"{len(persons)} coopérateurs, {len(moment_rows)} moments dont {planned} prévus.")


def _data_requests(members: list[tuple[int, Person]], today: date) -> None:
    """Two entries of the RGPD requests register: one to answer, one answered."""
    (first, p1), (second, p2) = members[0], members[1]
    open_on, answered_on = today - timedelta(days=10), today - timedelta(days=60)
    db.session.add_all([
        DataRequest(kind="access", channel="courrier", received_on=open_on,
                    due_on=due_date(open_on), member_id=first,
                    requester=f"{p1.first_name} {p1.last_name}",
                    notes="Demande la copie de ses données (lettre simple)."),
        DataRequest(kind="rectification", channel="email", received_on=answered_on,
                    due_on=due_date(answered_on), member_id=second,
                    requester=f"{p2.first_name} {p2.last_name}",
                    notes="Nouvelle adresse postale.", answered_on=answered_on + timedelta(days=3),
                    answer="Adresse corrigée dans la fiche ; réponse par email.")])
    db.session.flush()


def _insert(model, rows: list[dict], batch: int = 5000) -> None:
    """Core executemany on the table: the ORM's bulk path splits rows by which values are
    None, which here means thousands of tiny statements."""
    for start in range(0, len(rows), batch):
        db.session.execute(insert(model.__table__), rows[start:start + batch])


def _residences(entities: dict[str, Entity], today: date) -> list[Place]:
    """The demo residences; those still being built are delivered months from today."""
    rows = read_seed("demo_places.json")["residences"]
    pairs = []
    for row in rows:
        if "delivery" in row:
            delivery = date.fromisoformat(row["delivery"])
        else:
            delivery = add_months(today, row["delivery_in_months"]).replace(day=1)
        residence = Residence(entity=entities[row["entity"]], name=row["name"],
                              commune=row["commune"], dwellings=row["dwellings"],
                              delivery_date=delivery)
        db.session.add(residence)
        pairs.append((residence, row, delivery))
    db.session.flush()
    return [Place(id=r.id, entity=row["entity"], name=r.name, commune=r.commune,
                  postal_code=row["postal_code"], street=row["street"], dwellings=row["dwellings"],
                  delivery=delivery, kind=row["kind"]) for r, row, delivery in pairs]


def _users(entities: dict[str, Entity]) -> dict[str, int | None]:
    """The four demo accounts (only into a database without users); moment owners by key."""
    if not db.session.scalar(select(func.count(User.id))):
        for (email, password, _label), (role, name, ght_only) in zip(DEMO_LOGINS, USERS,
                                                                     strict=True):
            add_user(email, name, password, role,
                     entities=[entities["GHT"]] if ght_only else [],
                     all_entities=not ght_only)
        db.session.flush()
    by_email = dict(db.session.execute(select(User.email, User.id)).all())
    return {key: by_email.get(email) for key, (email, _p, _l) in zip(OWNER_KEYS, DEMO_LOGINS,
                                                                      strict=True)}


def _member_row(p: Person, colleges: dict[str, int]) -> dict:
    created = min(clock.now(), _noon(p.first_contact))
    news, news_dt = p.consents.get("newsletter", (False, None))
    convocation, convocation_dt = p.consents.get("econvocation", (False, None))
    holding = p.status == "cooperateur"
    return {
        "civility": p.civility, "first_name": p.first_name, "last_name": p.last_name,
        "email": p.email, "phone": p.phone, "address": p.address,
        "postal_code": p.postal_code, "city": p.city,
        "residence_id": p.residence.id if p.residence else None, "track": p.track,
        "college_id": colleges.get(p.college) if p.college else None, "status": p.status,
        "share_count": 1 if holding else 0, "share_amount": SHARE if holding else Decimal("0"),
        "reservation_signed_on": p.reservation_on, "moved_in_on": p.moved_in,
        "newsletter_consent": news, "newsletter_consent_dt": news_dt,
        "newsletter_consent_source": SOURCE if news_dt else "",
        "econvocation_consent": convocation, "econvocation_consent_dt": convocation_dt,
        "econvocation_consent_source": SOURCE if convocation_dt else "",
        "email_status": p.email_status if p.email else "valid",
        "search_text": search_text(p.last_name, p.first_name, p.email,
                                   list(p.references.values())),
        "created_dt": created, "updated_dt": created,
    }


def _noon(day: date):
    return at(day, 12)


def _movements(members: list[tuple[int, Person]], now) -> list[dict]:
    """One share of 16 € at signature; reimbursed for former coopérateurs."""
    rows = []
    for mid, p in members:
        if p.signed_on is None:
            continue
        rows.append({"member_id": mid, "kind": "subscription", "quantity": 1,
                     "unit_amount": SHARE, "occurred_on": p.signed_on, "note": "",
                     "created_dt": min(now, _noon(p.signed_on)), "created_by_id": None})
        if p.left_on:
            rows.append({"member_id": mid, "kind": "reimbursement", "quantity": 1,
                         "unit_amount": SHARE, "occurred_on": p.left_on,
                         "note": "Départ du logement.", "created_dt": min(now, _noon(p.left_on)),
                         "created_by_id": None})
    return rows
