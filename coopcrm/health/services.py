"""The checks behind `GET /healthz`: database, migrations, scheduler heartbeat, outbox.

Each check answers for itself and never raises: a monitor polling a broken
instance must get a 503 with what is wrong, not an error page. Nothing here
reads or returns personal data (counts and dates only).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import case, func, or_, select, text, type_coerce

from coopcrm import schema
from coopcrm.extensions import db
from coopcrm.models import UTCDateTime
from coopcrm.sending.models import OutboxMessage

# Defaults of COOPCRM_HEALTH_SCHEDULER_MAX_AGE / COOPCRM_HEALTH_OUTBOX_MAX_AGE (seconds):
# the leader beats every 30 s, so 5 min is ten missed beats; the outbox is drained
# every minute, so a message still waiting after 30 min means sending is stuck.
SCHEDULER_MAX_AGE = 300
OUTBOX_MAX_AGE = 1800


def report(now: datetime) -> dict:
    """The health report as of `now`: one entry per check, and the overall status.

    "ok": everything fine; "degraded": the web app works but background work
    (scheduler, sending) lags; "error": no database or an unmigrated one.
    """
    database = _database()
    if not database["ok"]:
        result = {"database": database, "migrations": _unknown_migrations(),
                  "scheduler": _unknown_scheduler(), "outbox": _unknown_outbox()}
        return {"status": "error", **result}
    result = {"database": database, "migrations": _migrations(), "scheduler": _scheduler(now),
              "outbox": _outbox(now)}
    if not result["migrations"]["ok"]:
        status = "error"
    elif not (result["scheduler"]["ok"] and result["outbox"]["ok"]):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, **result}


def _rolled_back() -> None:
    # PostgreSQL refuses any statement after a failed one until the rollback.
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be gone
        pass


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception:  # noqa: BLE001 - unreachable, refused, bad credentials: all "not ok"
        _rolled_back()
        return {"ok": False}


def _migrations() -> dict:
    # Flask-Migrate's own setting: wherever the package keeps its migrations.
    heads = tuple(sorted(schema.head_revisions()))
    try:
        current = tuple(sorted(schema.current_revisions(db.session.connection())))
    except Exception:  # noqa: BLE001
        _rolled_back()
        current = ()
    return {"current": ",".join(current) or None, "head": ",".join(heads) or None,
            "ok": bool(current) and current == heads}


def _unknown_migrations() -> dict:
    heads = tuple(sorted(schema.head_revisions()))
    return {"current": None, "head": ",".join(heads) or None, "ok": False}


def _age(now: datetime, then: datetime | None) -> float | None:
    # A date ahead of our clock (another machine's skew) counts as fresh, not negative.
    return None if then is None else max(0.0, round((now - then).total_seconds(), 1))


def _scheduler(now: datetime) -> dict:
    from coopcrm.scheduler.services import last_heartbeat

    try:
        beat = last_heartbeat()
    except Exception:  # noqa: BLE001 - e.g. the table is missing on an old schema
        _rolled_back()
        return _unknown_scheduler()
    age = _age(now, beat)
    limit = current_app.config.get("HEALTH_SCHEDULER_MAX_AGE", SCHEDULER_MAX_AGE)
    return {"last_heartbeat": beat.isoformat() if beat else None, "age_seconds": age,
            "ok": age is not None and age <= limit}


def _unknown_scheduler() -> dict:
    return {"last_heartbeat": None, "age_seconds": None, "ok": False}


def _outbox(now: datetime) -> dict:
    """Queued messages, and how long the oldest has been waiting since it could go.

    Waiting since: its send date for a message never tried (a message queued to
    go later is not late), its creation once tried (a message retried for an
    hour against a dead SMTP server is late, whatever its next retry).
    """
    m = OutboxMessage
    waiting_since = case((m.attempts == 0, m.next_attempt_dt), else_=m.created_dt)
    sendable = or_(m.attempts > 0, m.next_attempt_dt <= now)
    query = select(
        func.count(m.id),
        type_coerce(func.min(case((sendable, waiting_since))), UTCDateTime),
    ).where(m.status == "queued")
    try:
        queued, oldest = db.session.execute(query).one()
    except Exception:  # noqa: BLE001
        _rolled_back()
        return _unknown_outbox()
    age = _age(now, oldest)
    limit = current_app.config.get("HEALTH_OUTBOX_MAX_AGE", OUTBOX_MAX_AGE)
    return {"queued": queued, "oldest_queued_age_seconds": age,
            "ok": age is None or age <= limit}


def _unknown_outbox() -> dict:
    return {"queued": None, "oldest_queued_age_seconds": None, "ok": False}
