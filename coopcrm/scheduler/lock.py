"""Leader lock: one scheduler process works, any other waits as a standby.

The lock only avoids wasted work: two schedulers running at once still send
nothing twice, because each job's exactly-once lives in its own tables.
Both locks die with their process, so a standby takes over when the leader
dies, without any expiry to tune.
"""

from __future__ import annotations

import fcntl
import logging
import os
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint; this one is "CoopSchd" in ASCII.
ADVISORY_KEY = int.from_bytes(b"CoopSchd", "big") & 0x7FFF_FFFF_FFFF_FFFF


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class FileLock:
    """flock(2) on a file: released by the kernel when the process dies (SQLite, one machine)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if free, without waiting; True if this object holds it."""
        if self._fd is not None:
            return True
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # The holder's pid, for an operator wondering which process is the leader.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __str__(self) -> str:
        return f"file lock {self.path}"


class PgAdvisoryLock:
    """A session-level advisory lock held on a dedicated connection (PostgreSQL).

    The server drops the lock when that connection ends, so a leader that dies
    (or loses its network) frees the place for the standby.
    """

    def __init__(self, url: str | URL, key: int = ADVISORY_KEY) -> None:
        # NullPool: the lock belongs to one physical connection, never a pooled one.
        self._engine = create_engine(url, poolclass=NullPool)
        self.key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if free, without waiting; True if this object holds it."""
        if self._conn is not None:
            return self.still_held()
        try:
            conn = self._engine.connect()
        except DBAPIError as exc:
            log.warning("scheduler lock: database unreachable (%s)", exc.__class__.__name__)
            return False
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            # The lock is session-level: it outlives this transaction, and an idle
            # connection must not sit "idle in transaction".
            conn.commit()
        except DBAPIError:
            conn.close()
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        """True while the lock's connection is alive (the server keeps the lock as long)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except DBAPIError:
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except DBAPIError:
                pass  # the connection is gone, and the lock with it
            self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        assert self._conn is not None  # callers hold a connection
        try:
            self._conn.close()
        except DBAPIError:
            pass
        self._conn = None

    def __str__(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"


LOCK_SUFFIX = ".scheduler-lock"


def sqlite_lock_path(url: URL, instance_path: str) -> str:
    """Where the file lock of a SQLite database lives: beside the database file.

    The lock belongs to the database, not to the instance folder: two instances
    sharing one file must elect one leader, two databases must not block each
    other. An in-memory database is private to its process: any path will do.
    """
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (uri=true): its path part
        database = database[len("file:"):].split("?", 1)[0]
    if database in ("", ":memory:"):
        return os.path.join(instance_path, "scheduler" + LOCK_SUFFIX)
    # realpath: two spellings of one file (relative, symlinked) share one lock.
    return os.path.realpath(database) + LOCK_SUFFIX


def for_app(app) -> LeaderLock:
    """The leader lock for this app's database: advisory lock on PostgreSQL, else a file lock.

    An advisory lock is per database already, so its key is a constant.
    """
    from coopcrm.extensions import db

    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "postgresql":
        return PgAdvisoryLock(url)
    return FileLock(sqlite_lock_path(url, app.instance_path))
