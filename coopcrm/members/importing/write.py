"""Writing a checked import plan with bulk Core statements, in the session's transaction.

One executemany per table (members, member_entities, share_movements,
consent_records, audit_entries), never one statement per row: a file of
100,000 members is written in seconds. The caller commits or rolls back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, insert, text, update

from coopcrm.extensions import db
from coopcrm.members.models import Entity, Member, MemberEntity, ShareMovement
from coopcrm.privacy.audit import acting_as, record_bulk
from coopcrm.privacy.models import ConsentRecord

# What a creation's audit row records (derived and bookkeeping columns left out).
_SNAPSHOT = ("civility", "first_name", "last_name", "email", "phone", "address", "postal_code",
             "city", "residence_id", "track", "college_id", "reservation_signed_on",
             "moved_in_on", "newsletter_consent", "econvocation_consent")
_DAYS = {"reservation_signed_on", "moved_in_on"}


@dataclass
class Create:
    values: dict  # every column of the new member but id
    links: list[tuple[int, str | None]]  # (entity id, reference), one per entity
    share: dict | None  # a subscription movement, without member_id
    consents: list[tuple[str, bool]]


@dataclass
class Update:
    member_id: int
    changes: dict  # member column -> new value
    link_changes: list[tuple[str, int, str | None]]  # ("insert" | "update", entity id, reference)
    share: dict | None
    consents: list[tuple[str, bool]]
    audit: dict  # field -> [old, new]
    visible: bool  # False: only derived columns (search_text) drift; no audit, not counted


@dataclass
class Plan:
    now: datetime
    source: str
    filename: str
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)


def write(plan: Plan, filename: str, user=None) -> list[int]:
    """Write the plan; returns the new members' ids."""
    conn = db.session.connection()
    user_id = user.id if user is not None else None
    ids = _insert_members(conn, [c.values for c in plan.creates])

    links: list[dict] = []
    link_updates: list[dict] = []
    shares: list[dict] = []
    consents: list[dict] = []
    for mid, create in zip(ids, plan.creates, strict=True):
        links.extend({"member_id": mid, "entity_id": entity_id, "reference": reference}
                     for entity_id, reference in create.links)
        _dependents(mid, create.share, create.consents, plan, user_id, shares, consents)
    for upd in plan.updates:
        for kind, entity_id, reference in upd.link_changes:
            row = {"member_id": upd.member_id, "entity_id": entity_id, "reference": reference}
            if kind == "insert":
                links.append(row)
            else:
                link_updates.append({"b_member": upd.member_id, "b_entity": entity_id,
                                     "b_reference": reference})
        _dependents(upd.member_id, upd.share, upd.consents, plan, user_id, shares, consents)

    _update_members(conn, plan)
    if link_updates:
        table = MemberEntity.__table__
        conn.execute(
            update(table)
            .where(table.c.member_id == bindparam("b_member"),
                   table.c.entity_id == bindparam("b_entity"))
            .values(reference=bindparam("b_reference")),
            link_updates,
        )
    for model, rows in ((MemberEntity, links), (ShareMovement, shares), (ConsentRecord, consents)):
        _bulk_insert(conn, model.__table__, rows)

    codes = _entity_codes(plan)
    with acting_as(user, actor="" if user is not None else "import"):
        record_bulk(conn, ids, "import", f"Créé par l'import « {filename} »",
                    {mid: _snapshot(c, codes) for mid, c in zip(ids, plan.creates, strict=True)})
        changed = [u for u in plan.updates if u.visible]
        record_bulk(conn, [u.member_id for u in changed], "import",
                    f"Mis à jour par l'import « {filename} »",
                    {u.member_id: u.audit for u in changed})
    return ids


def analyze() -> None:
    """After a big import, let PostgreSQL see the new rows (else its plans stay those of
    empty tables until autovacuum gets round to it: a re-import then takes minutes)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(text("ANALYZE members, member_entities, share_movements, consent_records"))
    db.session.commit()


def _dependents(member_id: int, share, consents, plan: Plan, user_id, shares_out, consents_out):
    if share is not None:
        shares_out.append({**share, "member_id": member_id, "note": f"Import « {plan.filename} »",
                           "created_dt": plan.now, "created_by_id": user_id})
    for kind, granted in consents:
        consents_out.append({"member_id": member_id, "kind": kind, "granted": granted,
                             "recorded_dt": plan.now, "source": plan.source, "wording": "",
                             "user_id": user_id})


def _insert_members(conn, rows: list[dict]) -> list[int]:
    """Insert the new members; their ids, in order."""
    if not rows:
        return []
    table = Member.__table__
    if conn.dialect.name == "postgresql":
        # INSERT … RETURNING with executemany works on PostgreSQL too, but psycopg re-parses
        # each 1,000-row statement: 3x slower than a plain executemany. Ids taken from the
        # sequence first are as safe, and let COPY write the rows.
        ids = list(conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('members', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": len(rows)}).scalars())
        for mid, row in zip(ids, rows, strict=True):
            row["id"] = mid
        _bulk_insert(conn, table, rows)
        return ids
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _bulk_insert(conn, table, rows: list[dict]) -> None:
    """Rows (dicts with the same keys) into a table: COPY on PostgreSQL, else executemany.

    psycopg's executemany costs ~40 µs a row, and an import writes about five
    rows per member (member, entity link, share, consents, audit): COPY, in the
    same transaction, writes them 10x faster (bench/bench_import.py). The values
    are already what the columns hold (aware UTC datetimes, Decimals, dates).
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    statement = (f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 "FROM STDIN")
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()


def _update_members(conn, plan: Plan) -> None:
    """One executemany per set of changed columns."""
    table = Member.__table__
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for upd in plan.updates:
        changes = {**upd.changes, "updated_dt": plan.now} if upd.visible else upd.changes
        keys = tuple(sorted(changes))
        groups[keys].append({"b_id": upd.member_id, **{f"b_{k}": v for k, v in changes.items()}})
    for keys, params in groups.items():
        values: dict[str, ColumnElement] = {k: bindparam(f"b_{k}") for k in keys}
        if "updated_dt" not in values:
            # Only derived columns drift (not shown as an update): keep updated_dt, which the
            # column's onupdate would otherwise move to now.
            values["updated_dt"] = table.c.updated_dt
        statement = update(table).where(table.c.id == bindparam("b_id")).values(values)
        conn.execute(statement, params)


def _entity_codes(plan: Plan) -> dict[int, str]:
    wanted = {entity_id for c in plan.creates for entity_id, _ in c.links}
    if not wanted:
        return {}
    return dict(db.session.execute(
        db.select(Entity.id, Entity.code).where(Entity.id.in_(wanted))).all())


def _snapshot(create: Create, codes: dict[int, str]) -> dict:
    """What the new member was created with, as the ORM trail writes a creation."""
    values, out = create.values, {}
    for key in _SNAPSHOT:
        value = values[key]
        if value is None or value == "" or value is False:
            continue
        out[key] = [None, value.isoformat() if key in _DAYS else value]
    for entity_id, reference in create.links:
        out[f"reference {codes.get(entity_id, entity_id)}"] = [None, reference]
    if create.share:
        out["parts"] = [0, create.share["quantity"]]
    return out

