"""The leader lock belongs to the database, whatever instance folder the process uses."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from coopcrm import create_app
from coopcrm.extensions import db
from coopcrm.scheduler import lock as leader
from tests.scheduler.fresh_db import fresh_database_url, on_postgresql


def app_on(url: str, instance) -> object:
    """A second app, as another process would build it, on `url` with its own instance folder."""
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    app.instance_path = str(instance)
    return app


def dispose(*apps) -> None:
    for app in apps:
        with app.app_context():
            db.engine.dispose()


sqlite_only = pytest.mark.skipif(on_postgresql(), reason="the file lock is SQLite's")


@sqlite_only
def test_two_instance_folders_on_one_sqlite_file_elect_one_leader(tmp_path):
    url = "sqlite:///" + str(tmp_path / "shared.db")
    first, second = app_on(url, tmp_path / "inst-a"), app_on(url, tmp_path / "inst-b")
    a, b = leader.for_app(first), leader.for_app(second)
    try:
        assert a.path == b.path == str(tmp_path / "shared.db") + ".scheduler-lock"
        assert a.try_acquire()
        assert not b.try_acquire()  # before: each instance folder had its own lock, two leaders
        a.release()
        assert b.try_acquire()
    finally:
        a.release()
        b.release()
        dispose(first, second)


@sqlite_only
def test_two_sqlite_databases_with_one_instance_folder_do_not_block_each_other(tmp_path):
    instance = tmp_path / "instance"
    first = app_on("sqlite:///" + str(tmp_path / "one.db"), instance)
    second = app_on("sqlite:///" + str(tmp_path / "two.db"), instance)
    a, b = leader.for_app(first), leader.for_app(second)
    try:
        assert a.path != b.path
        assert a.try_acquire() and b.try_acquire()  # each database has its leader
    finally:
        a.release()
        b.release()
        dispose(first, second)


def test_spellings_of_one_file_share_a_lock_and_memory_falls_back_to_the_instance(
        tmp_path, monkeypatch):
    real = tmp_path / "data" / "coop.db"
    real.parent.mkdir()
    (tmp_path / "link").symlink_to(real.parent)
    monkeypatch.chdir(tmp_path)
    expected = str(real) + ".scheduler-lock"
    for url in (f"sqlite:///{real}", "sqlite:///data/coop.db", f"sqlite:///{tmp_path}/link/coop.db",
                f"sqlite:///file:{real}?mode=rwc&uri=true"):
        assert leader.sqlite_lock_path(make_url(url), "/inst") == expected, url
    for url in ("sqlite://", "sqlite:///:memory:"):
        assert leader.sqlite_lock_path(make_url(url), "/inst") == "/inst/scheduler.scheduler-lock"


@pytest.mark.skipif(not on_postgresql(), reason="advisory locks are PostgreSQL's")
def test_advisory_locks_are_per_database_with_a_constant_key(app, tmp_path):
    with fresh_database_url(tmp_path, "lock") as other_url:
        other = app_on(other_url, tmp_path / "other")
        same = app_on(db.engine.url.render_as_string(hide_password=False), tmp_path / "same")
        mine, theirs, rival = leader.for_app(app), leader.for_app(other), leader.for_app(same)
        try:
            assert mine.key == theirs.key == rival.key == leader.ADVISORY_KEY
            assert mine.try_acquire()
            assert theirs.try_acquire()  # another database: its own leader
            assert not rival.try_acquire()  # same database, another instance folder: standby
        finally:
            for lock in (mine, theirs, rival):
                lock.release()
            dispose(other, same)
