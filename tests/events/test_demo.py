"""The demo events: an AG next June, last June's AG with attendance, a workshop cycle."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from coopcrm.events import checkin
from coopcrm.events.demo import load_demo
from coopcrm.events.models import Event, EventSeries
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.instants import at


def test_load_demo_once_and_quietly(paris_now):
    now = paris_now(date(2026, 11, 23))
    factories.user(role="admin")
    residence = factories.residence(name="Les Annonciades")
    for _ in range(30):
        factories.coop_member(residence_id=residence.id)
    assert "Assemblée générale 2027" in load_demo(now)
    assert load_demo(now) == "Événements de démonstration déjà chargés."
    ag = db.session.scalar(select(Event).where(Event.title == "Assemblée générale 2027"))
    assert ag.start_date == date(2027, 6, 17) and len(ag.resolutions) == 4
    series = db.session.scalar(select(EventSeries))
    assert len(series.sessions) == 11
    [year] = checkin.participation_by_year()
    assert year["year"] == 2026 and year["called"] == 30
    run_job("events.timeline", at(date(2026, 11, 23), 10))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
