"""Fixtures for the newsletter cycle: the three issues, coopérateurs, a clock-driven tick."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.cycle.models import Edition, NewsletterIssue, Receipt
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from tests import factories
from tests.sending.conftest import smtp_server  # noqa: F401  (a fixture, re-exported)

ISSUE_DATES = {1: 1, 2: 6, 3: 9}  # number -> month, all on the 15th at 09:00 Paris


@pytest.fixture
def issues():
    """N°1, N°2, N°3 with short standing content, by number."""
    made = {}
    for number, month in ISSUE_DATES.items():
        issue = NewsletterIssue(number=number, theme=f"Thème {number}", send_month=month,
                                send_day=15, send_hour=9, send_minute=0,
                                title=f"La lettre N°{number}", teaser="À lire",
                                intro_html=f"<p>Contenu permanent du N°{number}.</p>",
                                sections=[], ctas=[], image_url="")
        db.session.add(issue)
        made[number] = issue
    db.session.commit()
    return made


def paris(*args) -> datetime:
    """A Paris wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=clock.PARIS)


def coop(signed_on, commit=True, **kw):
    """A coopérateur who signed on `signed_on`, with consent and a valid address.

    Returns a plain reference (`.id`): the job's session ends with each tick,
    so ORM objects from before it cannot be read after.
    """
    kw.setdefault("status", "cooperateur")
    kw.setdefault("share_count", 1)
    kw.setdefault("newsletter_consent", True)
    member = factories.member(reservation_signed_on=signed_on, commit=commit, **kw)
    if not commit:
        db.session.flush()
    return SimpleNamespace(id=member.id)


def tick(at: datetime):
    """Run the cycle job as the scheduler would at `at` (the clock set to it)."""
    with clock.frozen(at):
        result = run_job("cycle.due", at)
    assert result.ok, result.error
    return result


def received(member_id: int, outcome: str = "sent") -> list[str]:
    """The editions (`2027-N1`) a member has a receipt for, in send order."""
    rows = db.session.scalars(
        select(Edition).join(Receipt, Receipt.edition_id == Edition.id)
        .where(Receipt.member_id == member_id, Receipt.outcome == outcome)
        .order_by(Edition.send_dt))
    return [e.code for e in rows]
