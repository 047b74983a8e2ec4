"""Events fixtures: a referent, members with consents, an AG at a chosen date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from coopcrm import clock
from coopcrm.events import services
from coopcrm.events.models import Event
from coopcrm.extensions import db
from tests import factories
from tests.sending.conftest import smtp_server  # noqa: F401  (a fixture, re-exported)


def at(day, hour=18, minute=30) -> datetime:
    """A Paris wall-clock time as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.PARIS).astimezone(UTC)


def make_event(user, day, kind="ag_ordinaire", commit=True, **kw) -> Event:
    """An event on `day` (Paris), saved through the service (notice rules apply)."""
    data = services.EventData(kind=kind, title=kw.pop("title", "Assemblée générale 2027"),
                              starts_dt=at(day), ends_dt=at(day, 20, 30),
                              place=kw.pop("place", "Salle des fêtes"), **kw)
    event = services.save(data, user)
    if commit:
        db.session.commit()
    return event


def coop_member(**kw):
    kw.setdefault("status", "cooperateur")
    kw.setdefault("share_count", 1)
    return factories.member(**kw)


@pytest.fixture
def staff():
    return factories.user(role="referent", all_entities=True)


@pytest.fixture
def paris_now():
    """Set the clock to a Paris wall-clock time."""
    def _set(day, hour=10, minute=0):
        clock.set_now(at(day, hour, minute))
        return clock.now()
    return _set


@pytest.fixture
def days():
    return lambda n: timedelta(days=n)
