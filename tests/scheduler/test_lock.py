"""The leader lock: one scheduler works, a standby takes over when it dies."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from coopcrm.extensions import db
from coopcrm.scheduler import lock as leader


def wait_until_acquired(lock, timeout=5.0):
    """Poll try_acquire the way a standby does, for a few seconds at most."""
    deadline = time.monotonic() + timeout
    while not lock.try_acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def holder_process(code: str) -> subprocess.Popen:
    """A separate process that takes the lock, says so, and waits to be killed."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def kill(proc):
    proc.send_signal(signal.SIGKILL)  # a crash: no release, no cleanup
    proc.wait(timeout=5)
    proc.stdin.close()
    proc.stdout.close()


def test_a_second_file_lock_holder_fails_until_the_first_releases(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    first, second = leader.FileLock(path), leader.FileLock(path)
    assert first.try_acquire() and first.try_acquire()  # re-entrant for its holder
    assert not second.try_acquire() and not second.still_held()
    assert open(path).read().strip() == str(os.getpid())
    first.release()
    assert second.try_acquire() and second.still_held()
    second.release()


def test_a_file_lock_is_freed_when_its_process_dies(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    proc = holder_process(f"""
        from coopcrm.scheduler.lock import FileLock
        lock = FileLock({path!r})
        assert lock.try_acquire()
        print("held", flush=True)
        input()
    """)
    standby = leader.FileLock(path)
    try:
        assert not standby.try_acquire()
    finally:
        kill(proc)
    assert standby.try_acquire()  # the kernel dropped the dead holder's lock at once
    standby.release()


def test_the_lock_follows_the_database(app):
    lock = leader.for_app(app)
    if db.engine.dialect.name == "postgresql":
        assert isinstance(lock, leader.PgAdvisoryLock)
        lock.release()
    else:
        assert isinstance(lock, leader.FileLock)
        # Beside the database file, not in the instance folder: see test_lock_per_database.
        assert lock.path == os.path.realpath(db.engine.url.database) + ".scheduler-lock"


@pytest.fixture
def pg_url():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    return db.engine.url


def test_a_standby_waits_while_the_leader_holds_the_advisory_lock(pg_url):
    first, second = leader.PgAdvisoryLock(pg_url), leader.PgAdvisoryLock(pg_url)
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire() and not second.still_held()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_standby_takes_over_when_the_leader_dies(pg_url):
    url = pg_url.render_as_string(hide_password=False)
    proc = holder_process(f"""
        from coopcrm.scheduler.lock import PgAdvisoryLock
        lock = PgAdvisoryLock({url!r})
        assert lock.try_acquire()
        print("held", flush=True)
        input()
    """)
    standby = leader.PgAdvisoryLock(pg_url)
    try:
        assert not standby.try_acquire()
        kill(proc)
        # The server frees the lock when it notices the dead connection: poll briefly.
        assert wait_until_acquired(standby)
    finally:
        if proc.poll() is None:
            kill(proc)
        standby.release()


def test_losing_the_connection_means_losing_the_lead(pg_url):
    first = leader.PgAdvisoryLock(pg_url)
    try:
        assert first.try_acquire()
        pid = first._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        first._conn.commit()
        with db.engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        assert not first.still_held()
        successor = leader.PgAdvisoryLock(pg_url)
        assert wait_until_acquired(successor)
        successor.release()
    finally:
        first.release()
