"""`GET /healthz` on the suite's database: each check, the status, the headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import stamp

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.services import last_heartbeat, record_heartbeat
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.health.helpers import get_health

T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
KEYS = {
    "status": None,
    "database": {"ok"},
    "migrations": {"current", "head", "ok"},
    "scheduler": {"last_heartbeat", "age_seconds", "ok"},
    "outbox": {"queued", "oldest_queued_age_seconds", "ok"},
}


def beat_at(dt: datetime) -> None:
    record_heartbeat(leader_since=dt, now=dt)


def queued(created: datetime, send_at: datetime | None = None, attempts: int = 0, **kw):
    message = OutboxMessage(idempotency_key=f"test:{created.isoformat()}:{attempts}",
                            template="test", to_address="claire.martin@example.org",
                            to_name="Claire Martin", subject="Votre lettre", created_dt=created,
                            next_attempt_dt=send_at or created, attempts=attempts, **kw)
    db.session.add(message)
    db.session.commit()
    return message


def assert_shape(body: dict) -> None:
    """Exactly the documented keys: counts, dates and flags, nothing about anyone."""
    assert set(body) == set(KEYS)
    for key, fields in KEYS.items():
        if fields:
            assert set(body[key]) == fields, key


@pytest.fixture
def healthy(migrated):
    beat_at(T0)
    clock.set_now(T0 + timedelta(seconds=60))


def test_a_healthy_instance_answers_200_to_anyone_without_a_cookie(client, healthy):
    response, body = get_health(client)
    assert response.status_code == 200, body
    assert_shape(body)
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["migrations"]["ok"] and body["migrations"]["current"] == body["migrations"]["head"]
    assert len(body["migrations"]["head"]) >= 12
    assert body["scheduler"] == {"last_heartbeat": T0.isoformat(), "age_seconds": 60.0,
                                 "ok": True}
    assert body["outbox"] == {"queued": 0, "oldest_queued_age_seconds": None, "ok": True}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert client.get_cookie("session") is None


def test_a_logged_in_user_gets_the_same_and_a_post_is_refused(client, healthy, referent):
    from tests.helpers import login

    login(client, referent)
    response, body = get_health(client)
    assert response.status_code == 200 and body["status"] == "ok"
    assert client.post("/healthz").status_code == 405


def test_a_stale_heartbeat_is_degraded_and_503(client, migrated):
    beat_at(T0)
    clock.set_now(T0 + timedelta(minutes=5))
    assert get_health(client)[0].status_code == 200  # 5 minutes: the limit, still fine
    clock.set_now(T0 + timedelta(minutes=5, seconds=1))
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["scheduler"] == {"last_heartbeat": T0.isoformat(), "age_seconds": 301.0,
                                 "ok": False}
    assert body["database"]["ok"] and body["migrations"]["ok"] and body["outbox"]["ok"]


def test_no_scheduler_ever_is_degraded(client, migrated):
    response, body = get_health(client)
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["scheduler"] == {"last_heartbeat": None, "age_seconds": None, "ok": False}


def test_the_threshold_is_a_setting(app, client, migrated):
    beat_at(T0)
    clock.set_now(T0 + timedelta(minutes=2))
    app.config["HEALTH_SCHEDULER_MAX_AGE"] = 60
    try:
        assert get_health(client)[0].status_code == 503
    finally:
        app.config["HEALTH_SCHEDULER_MAX_AGE"] = 300


def test_a_heartbeat_ahead_of_our_clock_is_fresh(client, migrated):
    beat_at(T0 + timedelta(seconds=3))  # the scheduler's machine runs a little fast
    clock.set_now(T0)
    response, body = get_health(client)
    assert response.status_code == 200 and body["scheduler"]["age_seconds"] == 0.0


def test_an_old_queued_message_is_degraded_and_503(client, healthy):
    now = clock.now()
    queued(now - timedelta(minutes=10))
    response, body = get_health(client)
    assert response.status_code == 200
    assert body["outbox"] == {"queued": 1, "oldest_queued_age_seconds": 600.0, "ok": True}

    queued(now - timedelta(minutes=31))
    response, body = get_health(client)
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["outbox"] == {"queued": 2, "oldest_queued_age_seconds": 1860.0, "ok": False}
    assert body["scheduler"]["ok"]
    # Nothing of the messages themselves (address, name, subject) in the answer.
    text = json.dumps(body)
    for private in ("claire", "Martin", "Votre lettre", "@"):
        assert private not in text


def test_a_message_queued_for_later_is_not_late_but_one_retried_for_long_is(client, healthy):
    now = clock.now()
    queued(now - timedelta(hours=2), send_at=now + timedelta(hours=1))  # send_after
    queued(now - timedelta(hours=3), send_at=now - timedelta(minutes=2))  # due 2 min ago
    response, body = get_health(client)
    assert response.status_code == 200
    assert body["outbox"] == {"queued": 2, "oldest_queued_age_seconds": 120.0, "ok": True}

    # Tried for 40 minutes against a dead SMTP server, its next retry later: stuck.
    queued(now - timedelta(minutes=40), send_at=now + timedelta(minutes=5), attempts=3)
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["outbox"]["oldest_queued_age_seconds"] == 2400.0


def test_sent_messages_do_not_count(client, healthy):
    queued(clock.now() - timedelta(days=3), status="sent")
    response, body = get_health(client)
    assert response.status_code == 200 and body["outbox"]["queued"] == 0


def test_a_database_behind_the_migrations_is_an_error(app, client, healthy):
    from alembic.script import ScriptDirectory

    from coopcrm.schema import head_revisions

    [head] = head_revisions()
    scripts = ScriptDirectory(app.extensions["migrate"].directory)
    previous = scripts.get_revision(head).down_revision
    stamp(revision=previous, purge=True)
    response, body = get_health(client)
    assert response.status_code == 503 and body["status"] == "error"
    assert body["migrations"]["ok"] is False
    assert (body["migrations"]["current"], body["migrations"]["head"]) == (previous, head)


def test_no_personal_data_even_with_members_on_file(client, healthy):
    member = factories.member(first_name="Zéphyrine", last_name="Quintal",
                              email="zephyrine.quintal@example.org")
    queued(clock.now() - timedelta(hours=1), member_id=member.id)
    response, body = get_health(client)
    assert_shape(body)
    raw = response.get_data(as_text=True)
    for private in ("Zéphyrine", "Quintal", "zephyrine", "example.org"):
        assert private not in raw


def test_the_heartbeat_is_one_row_the_latest_leader_overwrites(app, migrated):
    assert last_heartbeat() is None
    beat_at(T0)
    record_heartbeat(leader_since=T0, now=T0 + timedelta(seconds=30))
    assert last_heartbeat() == T0 + timedelta(seconds=30)
    from sqlalchemy import func, select

    from coopcrm.scheduler.models import SchedulerHeartbeat

    assert db.session.scalar(select(func.count()).select_from(SchedulerHeartbeat)) == 1
