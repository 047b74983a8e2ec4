"""`/healthz` of other databases and of real processes: unmigrated, unreachable, live."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request

from coopcrm import create_app
from coopcrm.extensions import db
from tests.health.helpers import get_health
from tests.helpers import free_port
from tests.scheduler.fresh_db import (
    cli_env,
    coopcrm_exe,
    fresh_database_url,
    on_postgresql,
    prepared,
)


def other_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def test_an_empty_database_is_an_error_not_a_crash(tmp_path):
    with fresh_database_url(tmp_path, "empty") as url:
        app = other_app(url)
        try:
            response, body = get_health(app.test_client())
        finally:
            with app.app_context():
                db.engine.dispose()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["database"] == {"ok": True}
    assert body["migrations"]["current"] is None and body["migrations"]["ok"] is False
    assert body["migrations"]["head"]
    assert body["scheduler"]["ok"] is False and body["outbox"]["ok"] is False


def test_an_unreachable_database_is_a_503_with_json(tmp_path):
    if on_postgresql():  # nothing listens there: connection refused
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/coopcrm"
    else:  # a directory that does not exist: unable to open database file
        url = "sqlite:///" + str(tmp_path / "missing" / "dir" / "coopcrm.db")
    app = other_app(url)
    response, body = get_health(app.test_client())
    assert response.status_code == 503
    assert body["status"] == "error" and body["database"] == {"ok": False}
    assert body["migrations"]["ok"] is False and body["migrations"]["current"] is None
    assert response.headers["Cache-Control"] == "no-store"


def fetch(url: str):
    """Status and parsed JSON of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), dict(error.headers)


def poll(url: str, until, timeout: float = 60.0):
    """GET `url` until `until(status, body)` holds (the server or scheduler is starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, body, headers = fetch(url)
            if until(status, body):
                return status, body, headers
        except (ConnectionError, urllib.error.URLError):
            pass
        assert time.monotonic() < deadline, f"{url} never answered as expected"
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> str:
    """SIGTERM (what an operator's service manager sends), then its stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def test_a_live_server_turns_healthy_once_the_scheduler_leads(tmp_path):
    with fresh_database_url(tmp_path, "live") as url:
        env = cli_env(url, tmp_path / "instance", COOPCRM_SMTP_URL=f"file://{tmp_path / 'mail'}")
        prepared(env)  # migrated, nothing else
        port = free_port()
        web = subprocess.Popen([coopcrm_exe(), "run", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        scheduler = None
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            status, body, headers = poll(health, lambda s, b: True)
            assert status == 503 and body["status"] == "degraded"  # no scheduler yet
            assert body["migrations"]["ok"] and body["scheduler"]["last_heartbeat"] is None
            assert headers["Cache-Control"] == "no-store" and "Set-Cookie" not in headers

            scheduler = subprocess.Popen([coopcrm_exe(), "scheduler", "--poll", "0.2"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         text=True)
            status, body, headers = poll(health, lambda s, b: s == 200)
            assert body["status"] == "ok" and body["scheduler"]["ok"]
            assert body["scheduler"]["age_seconds"] < 60
        finally:
            if scheduler is not None:
                stop(scheduler)
            errors = stop(web)
        assert "Traceback" not in errors, errors
