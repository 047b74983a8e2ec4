"""`coopcrm scheduler` logs in the same format as `coopcrm serve`, at COOPCRM_LOG_LEVEL."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from tests.databases import with_driver
from tests.serving.helpers import LINE_START, Database, Server, environment, migrate


def test_the_scheduler_logs_in_the_shared_format(tmp_path):
    db = Database(tmp_path)
    try:
        env = environment(db, tmp_path)
        migrate(env)
        server = Server(["scheduler", "--poll", "0.2"], env)
        try:
            line = server.wait_for_line(r"coopcrm\.scheduler scheduler is the leader", timeout=30)
            assert LINE_START.match(line) and " INFO coopcrm.scheduler " in line
        finally:
            assert server.stop() == 0
        assert server.stdout.strip().endswith("Planificateur arrêté.")
        assert not any("Traceback" in line for line in server.lines), server.lines
    finally:
        db.drop()


def test_its_level_comes_from_the_setting(tmp_path):
    db = Database(tmp_path)
    engine = create_engine(with_driver(db.url))
    try:
        env = environment(db, tmp_path, COOPCRM_LOG_LEVEL="warning")
        migrate(env)
        server = Server(["scheduler", "--poll", "0.2"], env)
        try:
            # the catch-up at start records its runs: once there, INFO lines would be out
            deadline = time.monotonic() + 30
            while True:
                with engine.connect() as conn:
                    if conn.execute(text("SELECT count(*) FROM job_runs "
                                         "WHERE finished_dt IS NOT NULL")).scalar():
                        break
                assert time.monotonic() < deadline, server.lines
                time.sleep(0.1)
        finally:
            assert server.stop() == 0
        assert not any(" INFO " in line for line in server.lines), server.lines
    finally:
        engine.dispose()
        db.drop()
