"""The claim revision on a database where past races left duplicate runs."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from coopcrm import create_app
from coopcrm.extensions import db
from tests.scheduler.fresh_db import fresh_database_url

BEFORE_CLAIM = "753f9c34c046"
AT = "2027-01-15 08:00:00"


def test_upgrading_keeps_one_claiming_run_per_job_and_date(tmp_path):
    with fresh_database_url(tmp_path, "claimmig") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            try:
                upgrade(revision=BEFORE_CLAIM)
                rows = [  # (id, name, status, origin)
                    (1, "cycle.due", "ok", "run-due"), (2, "cycle.due", "ok", "run-due"),
                    (3, "events.timeline", "running", "run-due"),
                    (4, "events.timeline", "ok", "planificateur"),
                    (5, "sending.flush", "ok", "run-due"), (6, "sending.flush", "ok", "manuel"),
                    (7, "sending.flush", "error", "run-due"),
                ]
                with db.engine.begin() as conn:
                    for id_, name, status, origin in rows:
                        conn.execute(text(
                            "INSERT INTO job_runs (id, name, started_dt, status, origin, summary,"
                            " error) VALUES (:id, :name, :at, :status, :origin, '', '')"),
                            {"id": id_, "name": name, "at": AT, "status": status,
                             "origin": origin})
                upgrade()
                with db.engine.connect() as conn:
                    after = dict(conn.execute(text("SELECT id, status FROM job_runs")).all())
                    notes = conn.execute(text(
                        "SELECT error FROM job_runs WHERE id IN (2, 3)")).scalars().all()
            finally:
                db.engine.dispose()
    # The first success stays; the running one beside a success and the second success go.
    assert after == {1: "ok", 2: "error", 3: "error", 4: "ok", 5: "ok", 6: "ok", 7: "error"}
    assert all(note.startswith("Doublon :") for note in notes)
