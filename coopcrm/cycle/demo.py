"""A past year of the newsletter cycle for the demo, so member pages have a history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from coopcrm import clock
from coopcrm.cycle import due, schedule
from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from coopcrm.sending.models import OutboxMessage


def load_history(now: datetime | None = None) -> str:
    """Run the cycle over the past twelve months, as the scheduler would have.

    The messages are marked delivered at their send time: a demo must not
    start by flushing a year of old newsletters into the mail catcher.
    """
    now = now or clock.now()
    schedule.ensure_editions(now - timedelta(days=365))
    db.session.commit()
    past = list(db.session.scalars(
        select(Edition.send_dt).where(Edition.send_dt <= now).order_by(Edition.send_dt)))
    for send_dt in past:
        at = send_dt + timedelta(minutes=5)
        with clock.frozen(at):
            due.run(at)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.startswith("cycle:"),
               OutboxMessage.status == "queued")
        .values(status="sent", sent_dt=OutboxMessage.next_attempt_dt, attempts=1))
    db.session.commit()
    return f"{len(past)} lettre(s) d'information déjà parue(s) dans l'historique de démonstration."
