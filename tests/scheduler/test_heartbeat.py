"""The leader's heartbeat: written when it takes the lead and at each of its checks."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.lock import FileLock
from coopcrm.scheduler.models import SchedulerHeartbeat
from coopcrm.scheduler.runner import serve
from coopcrm.scheduler.services import last_heartbeat

T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def _poll(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _beat():
    db.session.rollback()  # see what the leader's thread committed
    return last_heartbeat()


def test_only_the_leader_beats_and_it_beats_at_each_check(app, hourly, only_jobs, tmp_path):
    path = str(tmp_path / "db.scheduler-lock")
    other_leader, me = FileLock(path), FileLock(path)
    assert other_leader.try_acquire()
    clock.set_now(T0)
    stop, outcome = threading.Event(), []
    with only_jobs(hourly):
        thread = threading.Thread(target=lambda: outcome.append(
            serve(app, me, stop, poll_seconds=0.01, check_seconds=0.01)))
        thread.start()
        try:
            time.sleep(0.05)  # a few standby polls
            assert _beat() is None  # a standby does not claim to be alive as the scheduler
            other_leader.release()
            _poll(lambda: _beat() == T0)
            clock.set_now(T0 + timedelta(seconds=30))  # the clock moves: the next check beats
            _poll(lambda: _beat() == T0 + timedelta(seconds=30))
        finally:
            stop.set()
            thread.join(timeout=10)
    assert outcome == [True]
    row = db.session.get(SchedulerHeartbeat, 1)
    assert (row.pid, row.host, row.leader_since_dt) == (os.getpid(), socket.gethostname(), T0)


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_leader(app, tmp_path):
    """The database goes away under the leader: it logs, keeps leading, beats again later."""
    from coopcrm import create_app
    from coopcrm.scheduler.runner import _beat as beat

    broken = create_app({"SQLALCHEMY_DATABASE_URI":
                         "sqlite:///" + str(tmp_path / "gone" / "x.db"), "TESTING": True})
    clock.set_now(T0)
    beat(broken, T0)  # no exception
    beat(app, T0)
    assert _beat() == T0
