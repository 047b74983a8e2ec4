"""What the cycle tests share: a clock-driven tick of the job, and what members received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coopcrm import clock
from coopcrm.cycle.models import Edition, Receipt
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job


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
