"""The three issues of the cycle, from seeds/newsletter_issues.json (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm import resources
from coopcrm.cycle.content import clean_content
from coopcrm.cycle.models import NewsletterIssue
from coopcrm.extensions import db

_SCHEDULE = ("send_month", "send_day", "send_hour", "send_minute")


def load_issues() -> int:
    """Insert the missing issues (by number); existing ones keep their dates and edits."""
    known = set(db.session.scalars(select(NewsletterIssue.number)))
    added = 0
    for row in resources.seed("newsletter_issues.json"):
        if row["number"] in known:
            continue
        db.session.add(NewsletterIssue(number=row["number"], theme=row["theme"],
                                       **{k: row[k] for k in _SCHEDULE},
                                       **clean_content(row)))
        added += 1
    db.session.flush()
    return added
