"""Exporting members to CSV or XLSX, with the import's columns: an export re-imports unchanged.

Rows come from `members_query` (so the export is exactly the list the
referent filtered, within their entities), read as plain columns in batches:
100,000 members stream out without building an ORM object each.

A member linked to several entities gets one line per link (each with that
entity's reference); their residence is written on the line of the entity
it belongs to only, and the import folds the lines back into one member.
The spreadsheet writers (coopcrm.spreadsheet) neutralise text cells: no stored
value becomes a live formula, and the import restores them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from coopcrm import fr
from coopcrm.extensions import db
from coopcrm.members.importing.read import COLUMNS
from coopcrm.members.importing.service import Everyone
from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence, ShareMovement
from coopcrm.members.query import MemberFilter, members_query
from coopcrm.spreadsheet import write_csv, write_xlsx

BATCH = 1000
SHEET = "Coopérateurs"


def _select(user, f: MemberFilter) -> Select:
    """One row per entity link the export shows (the filtered entity's, else the user's)."""
    link = aliased(MemberEntity)
    shown = link.member_id == Member.id
    if f.entity is not None:
        shown = and_(shown, link.entity_id == f.entity)
    elif not user.sees_all_entities:
        shown = and_(shown, link.entity_id.in_(user.entity_ids))
    first_subscription = (
        select(func.min(ShareMovement.occurred_on))
        .where(ShareMovement.member_id == Member.id, ShareMovement.kind == "subscription")
        .scalar_subquery()
    )
    return (
        members_query(user, f)
        .with_only_columns(
            Member.id, link.entity_id, Residence.entity_id,
            link.reference, Member.civility, Member.first_name, Member.last_name, Member.email,
            Member.phone, Member.address, Member.postal_code, Member.city, Entity.code,
            Residence.name, Member.track, College.code, Member.status,
            Member.reservation_signed_on, Member.moved_in_on, Member.share_count,
            Member.share_amount, first_subscription, Member.newsletter_consent,
            Member.econvocation_consent,
        )
        # A member with no link at all still gets their line (with no entity).
        .join_from(Member, link, shown, isouter=True)
        .join_from(link, Entity, Entity.id == link.entity_id, isouter=True)
        .join_from(Member, Residence, Residence.id == Member.residence_id, isouter=True)
        .join_from(Member, College, College.id == Member.college_id, isouter=True)
        # Every sort ends on Member.id: a member's lines come together, by entity.
        .order_by(link.entity_id)
    )


def _cells(record, as_text: bool) -> list:
    (_member, link_entity, residence_entity, reference, civility, first, last, email, phone,
     address, postal, city, entity, residence, track, college, status, signed, moved, count,
     amount, subscribed, newsletter, econvocation) = record
    unit = (Decimal(amount) / count).quantize(Decimal("0.01")) if count else None
    if link_entity is not None and residence_entity != link_entity:
        # The residence is another entity's: it goes on that entity's line (a blank cell
        # changes nothing on import; this line's entity would not know the name).
        residence = None

    def day(value):
        if value is None:
            return ""
        return fr.date(value) if as_text else value

    return [
        reference or "", civility or "", first or "", last or "", email or "", phone or "",
        address or "", postal or "", city or "", entity or "", residence or "", track,
        college or "", status, day(signed), day(moved), count or "",
        (fr.decimal(unit) if as_text else float(unit)) if unit is not None else "",
        day(subscribed), "oui" if newsletter else "non", "oui" if econvocation else "non",
    ]


def rows(user, f: MemberFilter, as_text: bool = True, members: set | None = None
         ) -> Iterator[list]:
    """The header, then one list of cells per member and entity link, read in batches.

    `members`, if given, collects the ids of the members written.
    """
    yield list(COLUMNS)
    result = db.session.execute(_select(user, f).execution_options(yield_per=BATCH))
    for record in result:
        if members is not None:
            members.add(record[0])
        yield _cells(record, as_text)


def export_file(path: str, entity_code: str | None = None, user=None) -> int:
    """Write every member (of one entity, if given) to a .csv or .xlsx file; how many members."""
    user = user or Everyone()
    f = MemberFilter()
    if entity_code:
        entity = db.session.scalar(
            select(Entity).where(func.lower(Entity.code) == entity_code.lower()))
        if entity is None:
            raise ValueError(f"Entité « {entity_code} » inconnue.")
        f.entity = entity.id
    lower = path.lower()
    members: set[int] = set()
    counted = rows(user, f, as_text=not lower.endswith(".xlsx"), members=members)
    if lower.endswith(".csv"):
        with open(path, "wb") as out:
            write_csv(counted, out)
    elif lower.endswith(".xlsx"):
        write_xlsx(counted, path, SHEET)
    else:
        raise ValueError("Extension inconnue : le fichier doit finir par .csv ou .xlsx.")
    return len(members)
