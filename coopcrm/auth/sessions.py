"""Server-side staff sessions: opened at sign-in, checked at every request, revocable.

The Flask cookie only carries a random token (`TOKEN_KEY`); the row holding its
SHA-256 decides. A session ends on logout, after SESSION_IDLE_MINUTES without a
request, SESSION_MAX_HOURS after sign-in, or when its user's password, role or
scope changes or the account is deactivated: a copied cookie then opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from coopcrm import clock
from coopcrm.auth import events
from coopcrm.auth.models import StaffSession, User
from coopcrm.extensions import db

TOKEN_KEY = "staff_session"
# last_seen is written at most once a minute: a page and its assets are one write.
_TOUCH_EVERY = timedelta(minutes=1)
PURGE_AFTER = timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, *, client: str, user_agent: str) -> str:
    """A new session for `user`; the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(StaffSession(user_id=user.id, token_hash=token_hash(token), created_dt=now,
                                last_seen_dt=now, client_addr=client[:64],
                                user_agent=(user_agent or "")[:200]))
    return token


def _expiry_reason(row: StaffSession, now: datetime) -> str:
    cfg = current_app.config
    if now - row.created_dt >= timedelta(hours=cfg["SESSION_MAX_HOURS"]):
        return "durée maximale atteinte"
    if now - row.last_seen_dt >= timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        return "inactivité"
    if not row.user.active:
        return "compte désactivé"
    return ""


def current(token: str | None) -> StaffSession | None:
    """The open session of this token, its last request noted; None when it is over.

    A session found over (idle, too old) is ended here. The caller commits.
    """
    if not token:
        return None
    row = db.session.scalar(select(StaffSession).where(
        StaffSession.token_hash == token_hash(token), StaffSession.ended_dt.is_(None)))
    if row is None:
        return None
    now = clock.now()
    reason = _expiry_reason(row, now)
    if reason:
        row.ended_dt, row.end_reason = now, reason
        return None
    if now - row.last_seen_dt >= _TOUCH_EVERY:
        row.last_seen_dt = now
    return row


def end(row: StaffSession, reason: str) -> None:
    """End one session (logout)."""
    row.ended_dt, row.end_reason = clock.now(), reason


def end_all(user: User, reason: str, *, actor: User | None = None, client: str = "",
            keep: StaffSession | None = None) -> int:
    """End every open session of `user` but `keep`; logged when there were any."""
    query = update(StaffSession).where(StaffSession.user_id == user.id,
                                       StaffSession.ended_dt.is_(None))
    if keep is not None:
        query = query.where(StaffSession.id != keep.id)
    result = db.session.execute(query.values(ended_dt=clock.now(), end_reason=reason[:60]),
                                execution_options={"synchronize_session": False})
    ended = result.rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult
    if ended:
        events.record("sessions_revoked", user=user, actor=actor, client=client,
                      detail=f"{ended} session(s) : {reason}")
    return ended


def open_sessions(user: User) -> list[StaffSession]:
    """The user's sessions that a request could still use, latest first."""
    cfg, now = current_app.config, clock.now()
    return list(db.session.scalars(
        select(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.ended_dt.is_(None),
            StaffSession.created_dt > now - timedelta(hours=cfg["SESSION_MAX_HOURS"]),
            StaffSession.last_seen_dt > now - timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]))
        .order_by(StaffSession.last_seen_dt.desc())))


def purge() -> None:
    """Forget sessions over for PURGE_AFTER at least (the log keeps the sign-ins and
    revocations)."""
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    db.session.execute(delete(StaffSession).where(
        StaffSession.created_dt < clock.now() - longest - PURGE_AFTER))
