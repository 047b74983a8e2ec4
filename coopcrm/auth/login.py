"""Signing in: password, then the TOTP code when the account has one; throttled and logged.

Every refusal says the same for an unknown address, a wrong password and a
deactivated account, and costs the same (a password hash is checked even when no
account matches), so the answer never tells which addresses have an account.
"""

from __future__ import annotations

from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.auth import addresses, events, sessions, throttle, totp
from coopcrm.auth.models import StaffSession, User
from coopcrm.extensions import db

WRONG = "Email ou mot de passe incorrect."
WRONG_CODE = "Code incorrect ou déjà utilisé."

# A hash to compare against when the email is unknown, so the response time
# does not reveal which emails have an account. Made on first use: building a
# model object at import time would configure every mapper before all the
# domains' models are imported.
_DUMMY: User | None = None


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def throttled_message(minutes: int) -> str:
    return f"Trop de tentatives de connexion. Réessayez dans {minutes} minute(s)."


def _dummy() -> User:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = User(password_hash="")
        _DUMMY.set_password("x" * 16)
    return _DUMMY


def find_user(email: str) -> User | None:
    """The account of a typed address (normalised as stored), active or not."""
    return db.session.scalar(select(User).where(
        func.lower(User.email) == addresses.normalise(email)))


def _refuse_if_throttled(email: str, client: str, user: User | None = None) -> None:
    minutes = throttle.locked_minutes(throttle.login_keys(email, client), clock.now())
    if minutes:
        events.record("login_failed", user=user, email=email, client=client,
                      detail="refusée : trop de tentatives")
        db.session.commit()
        raise LoginRefused(throttled_message(minutes))


def _failed(email: str, client: str, user: User | None, detail: str, message: str):
    throttle.count(throttle.login_keys(email, client), clock.now())
    events.record("login_failed", user=user, email=email, client=client, detail=detail)
    db.session.commit()
    return LoginRefused(message)


def authenticate(email: str, password: str, *, client: str) -> User:
    """The user for these credentials, or LoginRefused with a French message.

    Throttled per account and client address (coopcrm.auth.throttle). The user
    may still have to give a TOTP code (`second_factor`) before `sign_in`.
    """
    email = addresses.normalise(email)[:254]
    _refuse_if_throttled(email, client)
    user = find_user(email)
    if user is None:
        _dummy().check_password(password)
        raise _failed(email, client, None, "compte inconnu", WRONG)
    if not user.check_password(password):
        raise _failed(email, client, user, "mot de passe incorrect", WRONG)
    if not user.active:
        raise _failed(email, client, user, "compte désactivé", WRONG)
    return user


def second_factor(user: User, code: str, *, client: str) -> str:
    """Check the TOTP or recovery code of a user whose password was right.

    Returns how the second factor was given (for the log); LoginRefused otherwise.
    """
    _refuse_if_throttled(user.email, client, user)
    if not user.active:
        raise _failed(user.email, client, user, "compte désactivé", WRONG_CODE)
    if totp.check_code(user, code):
        return "mot de passe et code"
    if totp.use_recovery_code(user, code):
        events.record("recovery_code_used", user=user, client=client,
                      detail=f"{totp.remaining_recovery_codes(user)} code(s) restant(s)")
        return "mot de passe et code de secours"
    raise _failed(user.email, client, user, "code de double authentification incorrect",
                  WRONG_CODE)


def sign_in(user: User, *, client: str, user_agent: str, method: str = "mot de passe") -> str:
    """Open a session for a user who proved who they are; the token for the cookie."""
    now = clock.now()
    throttle.forget_login_failures(user.email, client)
    throttle.purge(now)
    sessions.purge()
    events.purge()
    user.last_login_dt = now
    token = sessions.open_session(user, client=client, user_agent=user_agent)
    events.record("login", user=user, client=client, detail=method)
    db.session.commit()
    return token


def sign_out(user: User, current: StaffSession | None, *, client: str) -> None:
    """Logout: this session and the user's others end (a cookie left elsewhere too)."""
    if current is not None:
        sessions.end(current, "déconnexion")
    events.record("logout", user=user, client=client)
    sessions.end_all(user, "déconnexion", client=client, keep=current)
    db.session.commit()
