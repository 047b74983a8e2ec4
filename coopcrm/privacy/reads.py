"""The read audit ("journal des consultations"): who opened which member's data, when.

Recorded by the member page, its history and the subject-access export; files of many
members (exports, letters, labels) are in the security log with their row count
(coopcrm/auth/events.py, kind "export"). Not a setting anyone can switch off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Select, delete, func, select

from coopcrm import clock, fr
from coopcrm.extensions import db
from coopcrm.pagination import Page, paginate
from coopcrm.privacy.models import READ_KINDS, MemberRead


def record(member_id: int, kind: str, user) -> None:
    """One read, committed with the caller's request (a page view writes nothing else)."""
    if kind not in READ_KINDS:
        raise ValueError(f"unknown read kind {kind!r}")
    db.session.add(MemberRead(member_id=member_id, kind=kind, user_id=user.id,
                              read_dt=clock.now()))


def of_member(member_id: int, page: int = 1, per_page: int = 10) -> Page:
    """The member's reads, newest first (the member page's Consultations panel)."""
    query = (select(MemberRead).where(MemberRead.member_id == member_id)
             .order_by(MemberRead.read_dt.desc(), MemberRead.id.desc()))
    return paginate(db.session, query, page, per_page)


@dataclass
class ReadFilter:
    """The journal page's filters; None is "any"."""

    user_id: int | None = None
    member_id: int | None = None
    since: date | None = None
    until: date | None = None

    def query(self, user) -> Select:
        """The reads matching the filters, of the members this user may see."""
        from coopcrm.members.models import Member
        from coopcrm.members.scoping import scope

        query = select(MemberRead)
        if not user.sees_all_entities:
            query = query.where(MemberRead.member_id.in_(
                scope(select(Member.id), user, anonymised=True)))
        if self.user_id is not None:
            query = query.where(MemberRead.user_id == self.user_id)
        if self.member_id is not None:
            query = query.where(MemberRead.member_id == self.member_id)
        if self.since is not None:
            query = query.where(MemberRead.read_dt >= clock.start_of(self.since))
        if self.until is not None:
            query = query.where(
                MemberRead.read_dt < clock.start_of(self.until + timedelta(days=1)))
        return query.order_by(MemberRead.read_dt.desc(), MemberRead.id.desc())


def lines(found: ReadFilter, user):
    """The journal as spreadsheet lines (header first), for its CSV export."""
    from coopcrm.members.models import Member

    yield ["Date", "Utilisateur", "Coopérateur (n°)", "Coopérateur", "Consultation"]
    query = (found.query(user).add_columns(Member.last_name, Member.first_name)
             .outerjoin(Member, Member.id == MemberRead.member_id))
    for read, last, first in db.session.execute(query):
        yield [fr.datetime(read.read_dt, seconds=True), read.user.name if read.user else "",
               read.member_id, f"{last or ''} {first or ''}".strip(), read.kind_label]


def prune(now: datetime) -> int:
    """Delete the reads older than the retention; how many."""
    from coopcrm.privacy import periods

    days = periods.value("RETENTION_READS_DAYS")
    result = cast(CursorResult, db.session.execute(delete(MemberRead).where(
        MemberRead.read_dt < now - timedelta(days=days))))
    return result.rowcount or 0


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(MemberRead)) or 0

