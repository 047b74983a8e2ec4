"""When each edition goes out, and which editions exist.

Dates are the issues' (15 January 09:00 Europe/Paris by default), turned into
UTC for storage. An edition's window runs from its send time to the next time
any active issue falls due: within it the edition is sent (late if need be),
after it the edition is closed and whoever it did not reach is recorded as
having missed it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import or_, select

from coopcrm import clock
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.extensions import db
from coopcrm.members import scoping


def send_dt(issue: NewsletterIssue, year: int) -> datetime:
    """The issue's send time in `year`, in UTC (a 29 February becomes the 28th in other years)."""
    day = min(issue.send_day, calendar.monthrange(year, issue.send_month)[1])
    local = datetime(year, issue.send_month, day, issue.send_hour, issue.send_minute,
                     tzinfo=clock.PARIS)
    return local.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The Paris calendar date of a UTC datetime (signature dates are compared with it)."""
    return clock.day_of(moment)


def active_issues() -> list[NewsletterIssue]:
    return list(db.session.scalars(
        select(NewsletterIssue).where(NewsletterIssue.active.is_(True))
        .order_by(NewsletterIssue.number)))


def window_end(edition: Edition, issues: list[NewsletterIssue] | None = None) -> datetime | None:
    """When the next issue falls due after `edition`'s send time (None: no active issue)."""
    issues = active_issues() if issues is None else issues
    start = edition.send_dt
    candidates = [send_dt(issue, year) for issue in issues
                  for year in (start.year, start.year + 1, start.year + 2)]
    later = [c for c in candidates if c > start]
    return min(later) if later else None


def ensure_editions(now: datetime | None = None) -> int:
    """Create the editions the cycle needs as of `now`; how many are new (caller commits).

    Per active issue: one with no edition yet starts with the next send time
    still ahead (a fresh install never mails last September's issue); one
    that has editions gets every later year up to next year, so a downtime
    across a new year still finds its editions to send or to record as missed.
    Two schedulers doing this at once create each edition once (ON CONFLICT).
    """
    now = now or clock.now()
    rows = []
    for issue in active_issues():
        years = set(db.session.scalars(select(Edition.year).where(Edition.issue_id == issue.id)))
        if years:
            wanted: Iterable[int] = range(max(years) + 1, now.year + 2)
        else:
            wanted = [y for y in (now.year, now.year + 1) if send_dt(issue, y) >= now]
        rows += [{"issue_id": issue.id, "year": year, "send_dt": send_dt(issue, year),
                  "status": "draft", "created_dt": now, "updated_dt": now,
                  **_copy(issue.content())} for year in wanted]
    if not rows:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    stmt = insert(Edition).on_conflict_do_nothing(index_elements=["issue_id", "year"])
    return len(db.session.execute(stmt.returning(Edition.id), rows).all())


def _copy(content: dict) -> dict:
    # Lists are copied: editing an edition's sections must not touch the issue's.
    return {k: ([dict(x) for x in v] if isinstance(v, list) else v) for k, v in content.items()}


def _seen(query, user):
    return query if user is None else scoping.owned(query, Edition, user)


def next_editions(now: datetime | None = None, user=None) -> list[Edition]:
    """The next edition of each active issue not yet gone out (that the user may see),
    soonest first."""
    now = now or clock.now()
    result = []
    for issue in active_issues():
        edition = db.session.scalar(_seen(
            select(Edition).where(Edition.issue_id == issue.id, Edition.frozen_dt.is_(None),
                                  Edition.send_dt >= now), user)
            .order_by(Edition.send_dt).limit(1))
        if edition is not None:
            result.append(edition)
    return sorted(result, key=lambda e: e.send_dt)


def issues() -> list[NewsletterIssue]:
    """Every issue, active or not, by number."""
    return list(db.session.scalars(select(NewsletterIssue).order_by(NewsletterIssue.number)))


def pending_edition(issue: NewsletterIssue, user=None) -> Edition | None:
    """The issue's soonest edition neither frozen (sent) nor closed (missed), whatever its date
    (of those the user may see)."""
    return db.session.scalar(_seen(
        select(Edition).where(Edition.issue_id == issue.id, Edition.frozen_dt.is_(None),
                              Edition.closed_dt.is_(None)), user)
        .order_by(Edition.send_dt).limit(1))


def past_editions(limit: int = 36, user=None) -> list[Edition]:
    """Editions sent or closed (that the user may see), latest first."""
    return list(db.session.scalars(_seen(
        select(Edition).where(or_(Edition.frozen_dt.is_not(None),
                                  Edition.closed_dt.is_not(None))), user)
        .order_by(Edition.send_dt.desc()).limit(limit)))
