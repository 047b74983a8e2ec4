"""The votes migration keeps the resolutions listed before it: an extraordinary AG's need two
thirds, and all came from the board; it goes down again."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from coopcrm import create_app
from coopcrm.extensions import db
from tests.databases import server_url, throwaway_database, with_driver

BEFORE = "0eab3ef7167b"


@pytest.fixture
def database_url(tmp_path):
    with throwaway_database(tmp_path, "votes", server=server_url(), prefix="coopcrm_vot") as url:
        yield with_driver(url)


def test_listed_resolutions_get_their_majority(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for i, kind in enumerate(("ag_ordinaire", "ag_extraordinaire"), start=1):
                conn.execute(text(
                    "INSERT INTO events (id, kind, title, description, starts_dt, ends_dt, place,"
                    " remote, remote_url, convocation_number, agenda_html, summary, created_dt,"
                    " updated_dt) VALUES (:id, :kind, 'AG', '', :at, :at, '', :no, '', 1, '',"
                    " '', :at, :at)"), {"id": i, "kind": kind, "at": "2027-06-17 16:30:00",
                                        "no": False})
                conn.execute(text("INSERT INTO event_resolutions (event_id, position, title, text)"
                                  " VALUES (:id, 1, 'Comptes', '')"), {"id": i})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT event_id, majority, board FROM event_resolutions"
                                     " ORDER BY event_id")).all()
        assert [(e, m, bool(b)) for e, m, b in rows] == [(1, "ago", True), (2, "age", True)]
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM event_resolutions")).scalar() == 2
        db.engine.dispose()
