"""Throwaway jobs for the scheduler tests, registered only for one test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import Entity
from coopcrm.scheduler.registry import Job, registry


class Calls(list):
    """The `now` each job was called with, and the clock it saw."""


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def hourly(calls):
    """An hourly job that writes a row (so its commit is visible) and returns a count."""

    def work(now):
        calls.append(("hourly", now, clock.now()))
        n = sum(1 for c in calls if c[0] == "hourly")
        db.session.add(Entity(code=f"H{n}", name="Écrite par une tâche"))
        return n

    return Job("test.hourly", work, every=timedelta(hours=1), description_fr="Tâche de test")


@pytest.fixture
def boom(calls):
    """A job that writes then fails: its write must be rolled back."""

    def work(now):
        calls.append(("boom", now, clock.now()))
        db.session.add(Entity(code="BOOM", name="Ne doit pas rester"))
        db.session.flush()
        raise ValueError("la tâche a échoué exprès")

    return Job("test.boom", work, cron={"hour": 9, "minute": 0}, description_fr="Échoue")


@pytest.fixture
def only_jobs():
    """`with only_jobs(job, …):` runs the runner over exactly these jobs."""
    return registry.only
