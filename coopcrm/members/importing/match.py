"""Which line is which member: duplicates within the file, then existing members matched in bulk.

Two lines for one reference or one email in one entity are both refused;
a line designates an existing member by entity + reference, else by email.
Lines are matched a chunk at a time: nothing of the database is kept for the
whole file but each line's member id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from coopcrm.extensions import db
from coopcrm.members.importing.rows import Row
from coopcrm.members.models import Member, MemberEntity

CHUNK = 2000  # values per IN (...) when fetching existing members


def mark_duplicates(rows: list[Row], labels: dict[str, str]) -> None:
    """Two lines for one reference or one email in one entity: both are refused.

    One email in two entities is one person's two links (merge.py).
    """
    # The first line of each key, and lists for the keys seen twice only: a list per line
    # would cost ~10 MB per 100,000 lines.
    first_reference: dict[tuple, Row] = {}
    first_email: dict[tuple, Row] = {}
    again_reference: defaultdict[tuple, list[Row]] = defaultdict(list)
    again_email: defaultdict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.reference is not None and row.entity is not None:
            key = (row.entity.id, row.reference)
            if first_reference.setdefault(key, row) is not row:
                again_reference[key].append(row)
        if row.email is not None:
            by = (row.entity.id if row.entity else None, row.email)
            if first_email.setdefault(by, row) is not row:
                again_email[by].append(row)
    for (entity_id, reference), later in again_reference.items():
        same = [first_reference[(entity_id, reference)], *later]
        for row in same:
            others = ", ".join(str(r.line) for r in same if r is not row)
            row.error(labels["reference"],
                      f"Référence « {reference} » en double dans le fichier "
                      f"(aussi ligne {others}).")
    for (entity_key, email), later in again_email.items():
        same = [first_email[(entity_key, email)], *later]
        for row in same:
            others = ", ".join(str(r.line) for r in same if r is not row)
            row.error(labels["email"],
                      f"Email « {email} » en double dans le fichier (aussi ligne {others}).")


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    """`values` a slice of `size` at a time."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def among(column, values: list):
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter, not thousands
    (psycopg parses every placeholder of every statement it cannot cache)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def match(rows: list[Row], labels: dict[str, str]) -> None:
    """Set row.member_id from the database: entity + reference first, else email."""
    by_entity: defaultdict[int, list[Row]] = defaultdict(list)
    for row in rows:
        if row.reference is not None and row.entity is not None:
            by_entity[row.entity.id].append(row)
    for entity_id, referenced in by_entity.items():
        for chunk in chunks(referenced):
            _by_reference(entity_id, chunk)
    del by_entity
    for chunk in chunks([r for r in rows if r.member_id is None and r.email is not None]):
        _by_email(chunk, labels)


def _by_reference(entity_id: int, rows: list[Row]) -> None:
    found: dict[str | None, int] = {
        reference: mid for reference, mid in db.session.execute(
            select(MemberEntity.reference, MemberEntity.member_id).where(
                MemberEntity.entity_id == entity_id,
                among(MemberEntity.reference, [r.reference for r in rows])))}
    for row in rows:
        row.member_id = found.get(row.reference)


def _by_email(rows: list[Row], labels: dict[str, str]) -> None:
    found: defaultdict[str | None, list[int]] = defaultdict(list)
    # Emails are stored lower-cased (validation.email), as the file's are once parsed.
    for mid, email in db.session.execute(
            select(Member.id, Member.email).where(among(Member.email, [r.email for r in rows]),
                                                  Member.anonymised_dt.is_(None))):
        found[email].append(mid)
    for row in rows:
        assert row.email is not None  # the lines matched by email have one
        ids = found.get(row.email, [])
        if len(ids) > 1:
            row.error(labels["email"], f"Plusieurs coopérateurs ont l'email « {row.email} » : "
                                       "indiquez leur référence pour choisir.")
        elif ids:
            row.member_id = ids[0]
