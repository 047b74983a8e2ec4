"""The web side of staff sessions: the cookie, the check at every request, the 2FA rule.

Flask-Login only learns who is signed in from here: its user loader returns the
user of the session row checked at the start of the request, so neither an old
cookie nor a remember-me cookie (never issued, but Flask-Login would read one)
opens anything once the row is ended or past its limits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    request,
    request_started,
    session,
    url_for,
)
from flask_login import login_user, logout_user

from coopcrm import clock
from coopcrm.auth import login, sessions
from coopcrm.auth.models import StaffSession, User
from coopcrm.extensions import db, login_manager

PENDING_KEY = "awaiting_code"  # password right, TOTP code still to give
# Where an administrator without a second factor may go when COOPCRM_ADMIN_2FA=1.
ENROLMENT_ENDPOINTS = {"account.totp", "auth.logout", "static"}


def client_address() -> str:
    """The client's IP (ProxyFix sets it from X-Forwarded-For behind the proxy only)."""
    return request.remote_addr or ""


def staff_session() -> StaffSession | None:
    """The session row of this request, if signed in."""
    return _validated_row()


def must_enrol(user: User) -> bool:
    """An administrator without a second factor while COOPCRM_ADMIN_2FA=1."""
    return bool(current_app.config["ADMIN_2FA"]) and user.is_admin and not user.has_totp


def begin(user: User, method: str) -> None:
    """Sign `user` in on this browser: a new session row and a fresh cookie."""
    token = login.sign_in(user, client=client_address(), user_agent=request.user_agent.string,
                          method=method)
    session.clear()  # nothing from before the sign-in carries over
    session[sessions.TOKEN_KEY] = token
    login_user(user)


def end() -> None:
    """Forget the session on this browser (the row is ended by the caller)."""
    logout_user()
    session.pop(sessions.TOKEN_KEY, None)
    session.pop(PENDING_KEY, None)


def await_code(user: User, target: str) -> None:
    """Remember, for LOGIN_CODE_MINUTES, that this browser gave the user's password."""
    session[PENDING_KEY] = {"user_id": user.id, "since": clock.now().isoformat(),
                            "next": target}


def awaiting_code() -> tuple[User, str] | None:
    """The user whose code this browser may give, and where to go after; None if too late."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        since = datetime.fromisoformat(pending["since"])
        user = db.session.get(User, int(pending["user_id"]))
    except (KeyError, TypeError, ValueError):
        return None
    limit = timedelta(minutes=current_app.config["LOGIN_CODE_MINUTES"])
    if user is None or not user.has_totp or clock.now() - since > limit:
        session.pop(PENDING_KEY, None)
        return None
    return user, str(pending.get("next") or "")


def _validated_row() -> StaffSession | None:
    """This request's session row, checked once: by the hook below, or earlier by
    whoever first asks Flask-Login who is signed in (the audit trail during a flush)."""
    if "staff_session" not in g:
        token = session.get(sessions.TOKEN_KEY) if request.endpoint != "static" else None
        g.staff_session = sessions.current(token)  # notes use; the hook commits it
    return g.staff_session


def _load_user(user_id: str) -> User | None:
    row = _validated_row()
    return row.user if row is not None and str(row.user_id) == user_id else None


def _forget_previous_request(sender, **_extra) -> None:
    # `g` lives as long as the app context: one request in production, but the tests'
    # requests share theirs.
    g.pop("staff_session", None)


def _check_session():
    """Before every request: the cookie's session row, still open and within its limits."""
    if request.endpoint == "static" or not (sessions.TOKEN_KEY in session
                                            or "_user_id" in session):
        return None
    row = _validated_row()
    if db.session.dirty:  # last request time noted, or the session found over
        db.session.commit()
    if row is None:
        end()
        flash("Votre session a pris fin : reconnectez-vous.", "info")
        return None
    if must_enrol(row.user) and request.endpoint not in ENROLMENT_ENDPOINTS:
        return redirect(url_for("account.totp"))
    return None


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    request_started.connect(_forget_previous_request, app)
    app.before_request(_check_session)
